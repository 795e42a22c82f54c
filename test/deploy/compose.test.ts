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
import {
  COMPOSE_FILES,
  COMPOSE_SECRETS,
  ROOT,
  TLS_OVERRIDE,
  composeConfig,
  composeSpecProblems,
  imageProblem,
  mounts,
  publishedPorts,
  renderCompose,
  type ComposeFile,
  type ComposeService,
} from './render.js';

/** The broker each file runs, the service that provides it, and the password that service requires. */
const BROKERS: Record<(typeof COMPOSE_FILES)[number], { broker: string; service?: string; secret?: string }> = {
  'docker-compose.yaml': { broker: 'memory' },
  'docker-compose.redis.yaml': { broker: 'redis', service: 'redis', secret: 'REDIS_PASSWORD' },
  'docker-compose.rabbit.yaml': { broker: 'rabbit', service: 'rabbitmq', secret: 'RABBIT_PASSWORD' },
  'docker-compose.nats.yaml': { broker: 'nats', service: 'nats', secret: 'NATS_PASSWORD' },
};
const BROKER_SECRETS = Object.values(BROKERS).flatMap((b) => (b.secret ? [b.secret] : []));

/** Where the app finds its broker: the host it connects to and the password it presents. */
function brokerEndpoint(env: Record<string, string | null>): { host?: string | null; password?: string | null } {
  if (env.REDIS_HOST) return { host: env.REDIS_HOST, password: env.REDIS_PASSWORD };
  if (env.RABBIT_HOST) return { host: env.RABBIT_HOST, password: env.RABBIT_PASSWORD };
  if (env.NATS_HOST) return { host: env.NATS_HOST, password: env.NATS_PASSWORD };
  return {};
}
const SECRET_NAME = /PASSWORD|SECRET|TOKEN/i;

const readYaml = (file: string) => parse(fs.readFileSync(path.join(ROOT, file), 'utf8'));

describeWhen('compose files', [missingProgram('docker-compose', 'docker-compose')], () => {
  describe.each(COMPOSE_FILES)('%s', (file) => {
    const { broker, service: brokerService, secret: brokerSecret } = BROKERS[file];
    let rendered: ComposeFile;
    let app: ComposeService;
    let env: Record<string, string | null>;
    beforeAll(() => {
      rendered = renderCompose(file, ['monitoring']);
      app = rendered.services.app!;
      env = app.environment ?? {};
    });

    it('follows the Compose Specification that Compose v2 enforces', () => {
      expect(composeSpecProblems(readYaml(file))).toEqual([]);
    });

    it('renders, with Prometheus and Grafana only in the monitoring profile', () => {
      const profiles = Object.fromEntries(Object.entries(rendered.services).map(([name, service]) => [name, service.profiles ?? []]));
      expect(profiles).toMatchObject({ app: [], mongo: [], prometheus: ['monitoring'], grafana: ['monitoring'] });
      expect(Object.values(profiles).filter((p) => p.length > 0)).toHaveLength(2);
    });

    it('refuses to start without the secrets rather than using defaults', () => {
      for (const name of Object.keys(COMPOSE_SECRETS).filter((n) => !BROKER_SECRETS.includes(n) || n === brokerSecret)) {
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
      if (brokerService) expect(brokerEndpoint(env).host).toBe(brokerService);
    });

    if (brokerService) {
      it('gives the broker a required password, and the app the same one', () => {
        expect(brokerEndpoint(env).password).toBe(COMPOSE_SECRETS[brokerSecret!]);
        const service = rendered.services[brokerService]!;
        const serviceEnv = Object.values(service.environment ?? {});
        expect(serviceEnv).toContain(COMPOSE_SECRETS[brokerSecret!]);
        if (broker === 'redis') {
          // The server takes it from the variable that redis-cli (its health check) reads too.
          expect(service.environment).toMatchObject({ REDISCLI_AUTH: COMPOSE_SECRETS.REDIS_PASSWORD });
          // `$$` is Compose's escape for a `$` left to the container's shell.
          expect((service.command as string[]).join(' ')).toMatch(/--requirepass "\$\$REDISCLI_AUTH"/);
        }
        if (broker === 'nats') {
          // nats.conf reads the user and password from the server's environment; the app sends the same.
          const conf = fs.readFileSync(path.join(ROOT, 'nats/nats.conf'), 'utf8');
          expect(conf).toMatch(/authorization\s*{[^}]*user:\s*\$NATS_USER[^}]*password:\s*\$NATS_PASSWORD/);
          expect(service.command).toEqual(['--config', '/etc/nats/nats.conf']);
          expect(mounts(service)).toContainEqual({ type: 'bind', source: path.join(ROOT, 'nats'), target: '/etc/nats', read_only: true });
          expect(service.environment).toMatchObject({ NATS_USER: env.NATS_USER, NATS_PASSWORD: env.NATS_PASSWORD });
        }
      });
    }

    it('rotates every container log and limits every container', () => {
      for (const [name, service] of Object.entries(rendered.services)) {
        expect(service.logging, name).toMatchObject({ driver: 'json-file', options: { 'max-size': expect.any(String), 'max-file': expect.anything() } });
        const limits = (service.deploy as { resources?: { limits?: { cpus?: unknown; memory?: unknown } } } | undefined)?.resources?.limits;
        expect(limits, name).toMatchObject({ cpus: expect.anything(), memory: expect.any(String) });
      }
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

    it('lets Prometheus scrape every app replica on its metrics port, which is never published', () => {
      const prometheus = readYaml('monitoring/prometheus.yml');
      const target = prometheus.scrape_configs[0].dns_sd_configs[0];
      expect(env.METRICS_PORT).toBeDefined();
      expect(env.METRICS_PORT).not.toBe(env.PORT);
      expect(target).toMatchObject({ names: ['app'], type: 'A', port: Number(env.METRICS_PORT) });
      expect(publishedPorts(app).map((p) => p.target)).not.toContain(Number(env.METRICS_PORT));
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
        // Only the chat port is routed: /metrics lives on METRICS_PORT, which no router points at.
        'traefik.http.routers.chorus.rule': 'Host(`chat.localhost`)',
        [`${service}.server.port`]: env.PORT,
        [`${service}.sticky.cookie.name`]: AFFINITY_COOKIE,
        [`${service}.sticky.cookie.httponly`]: 'true',
        [`${service}.healthcheck.path`]: '/readyz',
      });
      expect(labels[`${service}.server.port`]).not.toBe(env.METRICS_PORT);
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

describe('the Compose Specification schema', () => {
  it('refuses what Compose v2 would refuse', () => {
    // Compose v1's `scale` key went with v1; a misspelt key is an error, not ignored.
    expect(composeSpecProblems({ services: { app: { image: 'chorus:local', restart_policy: 'always' } } })).not.toEqual([]);
    expect(composeSpecProblems({ services: { app: { image: 'chorus:local', depends_on: { mongo: {} } } } })).not.toEqual([]);
    expect(composeSpecProblems({ services: { app: { image: 'chorus:local' } } })).toEqual([]);
  });
});

describe('image minimums', () => {
  it('refuses tags older than the minimum the test names, with its reason', () => {
    expect(imageProblem('traefik:v3.3.4')).toMatch(/older than 3\.6\.1: .*Docker Engine 29/);
    expect(imageProblem('mongo:8.0.4')).toMatch(/older than 8\.0\.21: .*CVE-2025-14847/);
    expect(imageProblem('redis:7.4.2-alpine')).toMatch(/older than 8\.8\.3: .*CVE-2025-49844/);
    expect(imageProblem('traefik:v3.7.13')).toBeUndefined();
    expect(imageProblem('redis:8.10.0-alpine')).toBeUndefined();
    expect(imageProblem('valkey/valkey:8.1.0')).toMatch(/no minimum version/);
  });
});

describe('traefik', () => {
  const traefik = readYaml('traefik/traefik.yaml');
  const tls = readYaml('traefik/traefik-tls.yaml');

  it('never cuts a long-polling response or trusts client X-Forwarded headers', () => {
    const web = traefik.entryPoints.web;
    expect(web.transport.respondingTimeouts.writeTimeout).toBe('0s');
    expect(web.forwardedHeaders.insecure).toBe(false);
    expect(traefik.providers.docker.exposedByDefault).toBe(false);
    expect(traefik.providers.file.filename).toBe('/etc/traefik/dynamic.yaml');
  });

  it('counts no open requests per address: each WebSocket would hold one for its whole life', () => {
    const middlewares = Object.values<Record<string, unknown>>(readYaml('traefik/dynamic.yaml').http.middlewares);
    expect(middlewares.filter((m) => 'inFlightReq' in m)).toEqual([]);
  });

  it('keeps the TLS static configuration in step with the plain one', () => {
    const { web: plain } = traefik.entryPoints;
    const { web, websecure } = tls.entryPoints;
    expect(web.http.redirections.entryPoint).toEqual({ to: 'websecure', scheme: 'https' });
    expect(websecure.address).toBe(':443');
    expect({ forwardedHeaders: websecure.forwardedHeaders, transport: websecure.transport }).toEqual({ forwardedHeaders: plain.forwardedHeaders, transport: plain.transport });
    expect(tls.certificatesResolvers[websecure.http.tls.certResolver].acme.httpChallenge.entryPoint).toBe('web');
    for (const key of ['global', 'api', 'ping', 'providers', 'log', 'accessLog']) expect(tls[key], key).toEqual(traefik[key]);
    expect(tls.entryPoints.traefik).toEqual(traefik.entryPoints.traefik);
  });
});

describeWhen('the TLS override', [missingProgram('docker-compose', 'docker-compose')], () => {
  it('follows the Compose Specification', () => {
    expect(composeSpecProblems(readYaml(TLS_OVERRIDE))).toEqual([]);
  });

  it.each(COMPOSE_FILES.filter((f) => BROKERS[f].service))('serves %s over HTTPS with a Secure sticky cookie and a kept certificate', (file) => {
    const rendered = renderCompose([file, TLS_OVERRIDE]);
    const { app, traefik } = rendered.services;
    const tls = readYaml('traefik/traefik-tls.yaml');
    expect(app!.labels).toMatchObject({
      'traefik.http.routers.chorus.entrypoints': 'websecure',
      'traefik.http.routers.chorus.tls.certresolver': tls.entryPoints.websecure.http.tls.certResolver,
      'traefik.http.services.chorus.loadbalancer.sticky.cookie.name': AFFINITY_COOKIE,
      'traefik.http.services.chorus.loadbalancer.sticky.cookie.secure': 'true',
    });
    expect(traefik!.command).toEqual(['--configFile=/etc/traefik/traefik-tls.yaml']);
    expect(publishedPorts(traefik!).map((p) => p.target)).toEqual(expect.arrayContaining([80, 443]));
    // The certificate survives re-creating the container, on a volume where the read-only Traefik may write.
    const storage = path.dirname(tls.certificatesResolvers.letsencrypt.acme.storage);
    expect(mounts(traefik!)).toContainEqual(expect.objectContaining({ type: 'volume', source: 'acme', target: storage, read_only: false }));
  });
});
