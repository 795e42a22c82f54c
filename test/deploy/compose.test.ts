/**
 * The compose files, rendered by `docker-compose config` (Debian's docker-compose: it validates against
 * the Compose schema and interpolates variables; no Docker engine needed), then checked for what the
 * engine would only show at run time: scale safety, secrets never defaulted, known variables, health
 * gates, pinned images, and that the Traefik labels and Prometheus agree with the app.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { AFFINITY_COOKIE } from '../../scripts/cluster/haproxy-config.js';
import { KNOWN_VARIABLES } from '../../src/config/config.js';
import { describeWhen, missingProgram } from '../helpers/requirements.js';
import { COMPOSE_FILES, COMPOSE_SECRETS, ROOT, composeConfig, imageProblem, mounts, publishedPorts, renderCompose, type ComposeFile, type ComposeService } from './render.js';

/** The broker each file runs, and the service that provides it. */
const BROKERS: Record<(typeof COMPOSE_FILES)[number], { broker: string; service?: string; hostVariable?: string }> = {
  'docker-compose.yaml': { broker: 'memory' },
  'docker-compose.redis.yaml': { broker: 'redis', service: 'redis', hostVariable: 'REDIS_HOST' },
  'docker-compose.rabbit.yaml': { broker: 'rabbit', service: 'rabbitmq', hostVariable: 'RABBIT_HOST' },
  'docker-compose.nats.yaml': { broker: 'nats', service: 'nats', hostVariable: 'NATS_HOST' },
};
const SECRET_NAME = /PASSWORD|SECRET|TOKEN/i;

const readYaml = (file: string) => parse(fs.readFileSync(path.join(ROOT, file), 'utf8'));

describeWhen('compose files', [missingProgram('docker-compose', 'docker-compose')], () => {
  describe.each(COMPOSE_FILES)('%s', (file) => {
    const { broker, service: brokerService, hostVariable } = BROKERS[file];
    let rendered: ComposeFile;
    let app: ComposeService;
    let env: Record<string, string | null>;
    beforeAll(() => {
      rendered = renderCompose(file, ['monitoring']);
      app = rendered.services.app!;
      env = app.environment ?? {};
    });

    it('renders, with Prometheus and Grafana only in the monitoring profile', () => {
      const profiles = Object.fromEntries(Object.entries(rendered.services).map(([name, service]) => [name, service.profiles ?? []]));
      expect(profiles).toMatchObject({ app: [], mongo: [], prometheus: ['monitoring'], grafana: ['monitoring'] });
      expect(Object.values(profiles).filter((p) => p.length > 0)).toHaveLength(2);
    });

    it('refuses to start without the secrets rather than using defaults', () => {
      for (const name of Object.keys(COMPOSE_SECRETS).filter((n) => n !== 'RABBIT_PASSWORD' || broker === 'rabbit')) {
        const { [name]: _omitted, ...others } = COMPOSE_SECRETS;
        const result = composeConfig(file, others);
        expect(result.status, `${file} without ${name}`).not.toBe(0);
        expect(result.stderr).toContain(name);
      }
    });

    it('writes every secret as a required variable, never as a value', () => {
      const source = readYaml(file) as ComposeFile;
      for (const [name, service] of Object.entries(source.services)) {
        for (const [variable, value] of Object.entries(service.environment ?? {})) {
          if (SECRET_NAME.test(variable)) expect(value, `${name}.${variable}`).toMatch(/^\$\{\w+:\?[^}]+\}$/);
        }
      }
    });

    it('gives the app only variables the config module knows, the right broker and its host', () => {
      expect(Object.keys(env).filter((name) => !KNOWN_VARIABLES.includes(name))).toEqual([]);
      expect(env.BROKER).toBe(broker);
      expect(env.NODE_ENV).toBe('production');
      expect(env.SESSION_SECRET).toBe(COMPOSE_SECRETS.SESSION_SECRET);
      expect(rendered.services).toHaveProperty(String(env.DB_HOST));
      if (hostVariable) expect(env[hostVariable]).toBe(brokerService);
    });

    it('starts the app only once MongoDB and the broker pass health checks that really check', () => {
      const dependencies = ['mongo', ...(brokerService ? [brokerService] : [])];
      expect(app.depends_on).toEqual(Object.fromEntries(dependencies.map((d) => [d, { condition: 'service_healthy' }])));
      for (const dependency of dependencies) expect(rendered.services[dependency]!.healthcheck?.test).toEqual(expect.arrayContaining(['CMD']));
      expect(rendered.services.mongo!.healthcheck!.test).toEqual(expect.arrayContaining(['mongosh']));
    });

    it('creates the app user in MongoDB from the same variables the app logs in with', () => {
      const mongo = rendered.services.mongo!;
      expect(mongo.environment).toMatchObject({
        MONGO_DB_APP_USERNAME: env.MONGO_USERNAME,
        MONGO_DB_APP_PASSWORD: COMPOSE_SECRETS.MONGO_DB_APP_PASSWORD,
        MONGO_DB_APP_DATABASE: env.MONGO_DATABASE,
      });
      expect(env.MONGO_PASSWORD).toBe(COMPOSE_SECRETS.MONGO_DB_APP_PASSWORD);
      expect(mounts(mongo)).toContainEqual({ type: 'bind', source: path.join(ROOT, 'mongo-init'), target: '/docker-entrypoint-initdb.d', read_only: true });
    });

    it('keeps data and uploads in named volumes, the uploads one where UPLOAD_DIR points', () => {
      expect(mounts(app)).toContainEqual(expect.objectContaining({ type: 'volume', source: 'uploads', target: env.UPLOAD_DIR }));
      expect(mounts(rendered.services.mongo!)).toContainEqual(expect.objectContaining({ type: 'volume', source: 'mongo-data', target: '/data/db' }));
      expect(rendered.volumes).toHaveProperty('uploads');
    });

    it('pins every image to a version and names no registry', () => {
      const problems = Object.entries(rendered.services)
        .filter(([, service]) => !service.build)
        .map(([name, service]) => service.image && imageProblem(service.image) && `${name}: ${imageProblem(service.image)}`)
        .filter(Boolean);
      expect(problems).toEqual([]);
    });

    it('names no container, so every service can be re-created and the app scaled', () => {
      expect(Object.entries(rendered.services).filter(([, s]) => s.container_name).map(([name]) => name)).toEqual([]);
    });

    it('runs the app read-only, unprivileged and without capabilities', () => {
      expect(app).toMatchObject({ read_only: true, cap_drop: ['ALL'], security_opt: ['no-new-privileges:true'] });
    });

    it('lets Prometheus scrape every app replica on the port the app listens on', () => {
      const prometheus = readYaml('monitoring/prometheus.yml');
      const target = prometheus.scrape_configs[0].dns_sd_configs[0];
      expect(target).toMatchObject({ names: ['app'], type: 'A', port: Number(env.PORT) });
      expect(prometheus.scrape_configs[0].metrics_path).toBe('/metrics');
      const grafana = rendered.services.grafana!;
      expect(mounts(grafana)).toContainEqual(expect.objectContaining({ source: path.join(ROOT, 'monitoring/grafana/provisioning'), target: '/etc/grafana/provisioning' }));
      const dashboards = readYaml('monitoring/grafana/provisioning/dashboards/chorus.yaml');
      expect(mounts(grafana)).toContainEqual(expect.objectContaining({ source: path.join(ROOT, 'monitoring/grafana/dashboards'), target: dashboards.providers[0].options.path }));
      const datasource = readYaml('monitoring/grafana/provisioning/datasources/prometheus.yaml').datasources[0];
      expect(new URL(datasource.url).hostname).toBe('prometheus');
    });

    if (broker === 'memory') {
      it('publishes the single app on a host port', () => {
        expect(publishedPorts(app)).toEqual([expect.objectContaining({ target: Number(env.PORT) })]);
      });
      return;
    }

    it('scales: no fixed host port on the app, one uploads volume for every replica', () => {
      expect(app.ports).toBeUndefined();
      // A named volume (not a bind mount or an anonymous volume) is one volume shared by all replicas.
      expect(mounts(app)).toEqual([expect.objectContaining({ type: 'volume', source: 'uploads' })]);
    });

    it('puts Traefik in front with the sticky cookie, a readiness check and the shared configuration', () => {
      const labels = app.labels ?? {};
      const service = 'traefik.http.services.chorus.loadbalancer';
      expect(labels).toMatchObject({
        'traefik.enable': 'true',
        'traefik.http.routers.chorus.rule': 'Host(`chat.localhost`) && !Path(`/metrics`)',
        [`${service}.server.port`]: env.PORT,
        [`${service}.sticky.cookie.name`]: AFFINITY_COOKIE,
        [`${service}.sticky.cookie.httponly`]: 'true',
        [`${service}.healthcheck.path`]: '/readyz',
      });
      // Everything the labels take from the file provider is defined there.
      const dynamic = readYaml('traefik/dynamic.yaml');
      const fromFile = [labels['traefik.http.routers.chorus.middlewares'], labels[`${service}.serverstransport`]].join(',').split(',');
      for (const reference of fromFile) {
        const [name, provider] = reference.split('@');
        expect(provider).toBe('file');
        expect({ ...dynamic.http.middlewares, ...dynamic.http.serversTransports }).toHaveProperty(name!);
      }
      const traefik = rendered.services.traefik!;
      expect(mounts(traefik)).toContainEqual({ type: 'bind', source: path.join(ROOT, 'traefik'), target: '/etc/traefik', read_only: true });
      expect(traefik.command).toEqual(['--configFile=/etc/traefik/traefik.yaml']);
      // The dashboard is published on this machine only.
      expect(publishedPorts(traefik)).toContainEqual(expect.objectContaining({ target: 8080, host_ip: '127.0.0.1' }));
    });
  });
});

describe('Grafana provisioning', () => {
  it('provides every data source the dashboards ask for', () => {
    const provisioned = readYaml('monitoring/grafana/provisioning/datasources/prometheus.yaml').datasources.map((d: { uid: string }) => d.uid);
    const dir = path.join(ROOT, 'monitoring/grafana/dashboards');
    const wanted = new Set<string>();
    const collect = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(collect);
      else if (node && typeof node === 'object') {
        const { datasource } = node as { datasource?: { uid?: string } };
        if (datasource?.uid) wanted.add(datasource.uid);
        Object.values(node).forEach(collect);
      }
    };
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) collect(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
    expect(wanted.size).toBeGreaterThan(0);
    // Grafana's own pseudo data sources need no provisioning.
    expect([...wanted].filter((uid) => !provisioned.includes(uid) && !uid.startsWith('-- '))).toEqual([]);
  });
});

describe('traefik static configuration', () => {
  const traefik = readYaml('traefik/traefik.yaml');

  it('never cuts a long-polling response or trusts client X-Forwarded headers', () => {
    const web = traefik.entryPoints.web;
    expect(web.transport.respondingTimeouts.writeTimeout).toBe('0s');
    expect(web.forwardedHeaders.insecure).toBe(false);
    expect(traefik.providers.docker.exposedByDefault).toBe(false);
    expect(traefik.providers.file.filename).toBe('/etc/traefik/dynamic.yaml');
  });
});
