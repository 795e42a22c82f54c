/**
 * The Kubernetes manifests: the example overlay with each broker component, rendered by `kubectl
 * kustomize` (from a copy of k8s/ with the example secret files filled in, as a user would), every
 * object validated against the schemas of kubernetes-models (Gateway API kinds with
 * @kubernetes-models/gateway-api), then the policies a cluster would only enforce at deploy time or not
 * at all: probes, resources sized from the bench, the restricted Pod Security Standard, sticky routes
 * that never reach the metrics port, broker credentials, MongoDB apart from the app's settings, no
 * secret in a ConfigMap, only known variables for the app, references that resolve, and a base that
 * cannot run on its own.
 */
import fs from 'node:fs';
import path from 'node:path';
// gateway-api 0.5 and kubernetes-models 4: the releases that run on Node 20 (the next majors need Node
// 22). They predate the HTTPRoute's sessionPersistence, so the affinity test reads those fields itself.
import * as gatewayModels from '@kubernetes-models/gateway-api';
import * as kubernetesModels from 'kubernetes-models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { AFFINITY_COOKIE } from '../../scripts/cluster/haproxy-config.js';
import { ConfigError, KNOWN_VARIABLES, loadConfig } from '../../src/config/config.js';
import { describeWhen } from '../helpers/requirements.js';
import { BROKER_COMPONENTS, EXAMPLE_OVERLAY, ROOT, imageProblem, k8sCopyWithSecrets, kustomize, missingKustomize, runKustomize, type K8sObject } from './render.js';

const models = { ...kubernetesModels, ...gatewayModels };

/** The broker each component adds: its Service, the variables that point the app at it, and its login. */
const BROKERS: Record<(typeof BROKER_COMPONENTS)[number], { service: string; port: number; host: string; portVariable: string; credentials: string[] }> = {
  redis: { service: 'redis', port: 6379, host: 'REDIS_HOST', portVariable: 'REDIS_PORT', credentials: ['REDIS_PASSWORD'] },
  rabbit: { service: 'rabbitmq', port: 5672, host: 'RABBIT_HOST', portVariable: 'RABBIT_PORT', credentials: ['RABBIT_USERNAME', 'RABBIT_PASSWORD'] },
  nats: { service: 'nats', port: 4222, host: 'NATS_HOST', portVariable: 'NATS_PORT', credentials: ['NATS_USER', 'NATS_PASSWORD'] },
};
/** The Secrets and ConfigMaps MongoDB may read: none whose content changes with the app's settings. */
const MONGO_SOURCES = ['mongo-config', 'mongo-credentials', 'mongo-init'];
/** Containers whose image writes outside its volumes, so they cannot run on a read-only root. */
const WRITABLE_ROOT = ['mongo', 'rabbitmq'];
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|KEY/i;

/** The kubernetes-models class for an object's apiVersion and kind, e.g. apps/v1 Deployment → models.apps.v1.Deployment. */
function modelOf({ apiVersion, kind }: K8sObject): new (data: unknown) => { validate(): void } {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  // networking.k8s.io → networkingK8sIo; the core group is exported as its version.
  const groupKey = group!.split('.').map((part, i) => (i === 0 ? part : part[0]!.toUpperCase() + part.slice(1))).join('');
  const byVersion = (groupKey ? (models as any)[groupKey] : models) as Record<string, Record<string, unknown>> | undefined;
  const model = byVersion?.[version!]?.[kind];
  if (typeof model !== 'function') throw new Error(`no schema for ${apiVersion} ${kind}`);
  return model as new (data: unknown) => { validate(): void };
}

const workloads = (objects: K8sObject[]) => objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
/** An object by kind and name; a generated ConfigMap or Secret also by its name before kustomize's hash suffix. */
const find = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && (o.metadata.name === name || o.metadata.name.replace(/-[a-z0-9]{10}$/, '') === name));
/** A CPU quantity (`1`, `1500m`) in cores. */
const cores = (quantity: string) => (quantity.endsWith('m') ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity));
/** Every ConfigMap and Secret a pod template reads, by name. */
function sourcesOf(workload: K8sObject): string[] {
  const pod = workload.spec.template.spec;
  const fromContainers = pod.containers.flatMap((c: any) => [
    ...(c.env ?? []).map((e: any) => e.valueFrom?.secretKeyRef?.name ?? e.valueFrom?.configMapKeyRef?.name),
    ...(c.envFrom ?? []).map((e: any) => e.configMapRef?.name ?? e.secretRef?.name),
  ]);
  const fromVolumes = (pod.volumes ?? []).map((v: any) => v.configMap?.name ?? v.secret?.secretName);
  return [...fromContainers, ...fromVolumes].filter(Boolean);
}
const unhashed = (name: string) => name.replace(/-[a-z0-9]{10}$/, '');
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

describeWhen('Kubernetes manifests', [missingKustomize()], () => {
  let copy: ReturnType<typeof k8sCopyWithSecrets>;
  beforeAll(() => {
    copy = k8sCopyWithSecrets();
  });
  afterAll(() => copy?.remove());

  it.each(['secrets.env', 'mongo.env', 'broker.env'])('will not render without %s, rather than deploy known passwords', (file) => {
    const overlay = path.join(copy.dir, 'overlays/redis');
    fs.rmSync(path.join(overlay, file));
    try {
      const result = runKustomize(overlay);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain(file);
    } finally {
      fs.copyFileSync(path.join(overlay, `${file}.example`), path.join(overlay, file));
    }
  });

  it('keeps the base from running on its own: its replicas refuse to start until a broker is chosen', () => {
    const objects = kustomize(path.join(copy.dir, 'base'));
    const app = find(objects, 'Deployment', 'chorus')!;
    const config = find(objects, 'ConfigMap', app.spec.template.spec.containers[0].envFrom[0].configMapRef.name)!;
    // What the replicas would read: the ConfigMap, plus the Secrets an overlay provides.
    const env = { ...config.data, SESSION_SECRET: 'x'.repeat(64), MONGO_USERNAME: 'chorus', MONGO_PASSWORD: 'secret' };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/BROKER/);
    // And none of the Secrets: the base deploys no password of its own.
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  it('ships the same nats.conf as the compose files', () => {
    expect(fs.readFileSync(path.join(ROOT, 'k8s/components/nats/nats.conf'), 'utf8')).toBe(fs.readFileSync(path.join(ROOT, 'nats/nats.conf'), 'utf8'));
  });

  /** The redis overlay rendered with one line of a kustomization in the copy changed, then restored. */
  function renderWith(kustomization: string, from: string, to: string): K8sObject[] {
    const file = path.join(copy.dir, kustomization);
    const original = fs.readFileSync(file, 'utf8');
    expect(original).toContain(from);
    fs.writeFileSync(file, original.replace(from, to));
    try {
      return kustomize(path.join(copy.dir, 'overlays/redis'));
    } finally {
      fs.writeFileSync(file, original);
    }
  }
  const withComponent = (name: string) => renderWith('overlays/redis/kustomization.yaml', `# - ../../components/${name}`, `- ../../components/${name}`);

  it('restarts MongoDB for none of the app settings', () => {
    const before = find(kustomize(path.join(copy.dir, 'overlays/redis')), 'StatefulSet', 'mongo');
    const after = find(renderWith('base/kustomization.yaml', 'LOG_LEVEL=info', 'LOG_LEVEL=debug'), 'StatefulSet', 'mongo');
    expect(after).toEqual(before);
  });

  it('swaps the example overlay\'s Gateway API route for an Ingress with the ingress-nginx component', () => {
    const objects = withComponent('ingress-nginx');
    expect(objects.filter((o) => o.kind === 'HTTPRoute')).toEqual([]);
    const ingress = find(objects, 'Ingress', 'chorus')!;
    const annotations = ingress.metadata.annotations!;
    expect(annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/affinity': 'cookie',
      'nginx.ingress.kubernetes.io/session-cookie-name': AFFINITY_COOKIE,
    });
    // Far above Engine.IO's 25 s long-poll, and long enough for a WebSocket to idle between pings.
    expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(3600);
    expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-send-timeout'])).toBeGreaterThanOrEqual(3600);
    const backend = ingress.spec.rules[0].http.paths[0].backend.service;
    expect(find(objects, 'Service', backend.name)?.spec.ports).toEqual([expect.objectContaining({ name: backend.port.name, targetPort: 'http' })]);
    expect(() => new models.networkingK8sIo.v1.Ingress(ingress as any).validate()).not.toThrow();
  });

  it('puts the uploads volume on the NFS class with the nfs-uploads component', () => {
    const claim = find(withComponent('nfs-uploads'), 'PersistentVolumeClaim', 'chorus-uploads')!;
    // The StorageClass is cluster-wide, so an example the administrator applies apart.
    const storageClass = parse(fs.readFileSync(path.join(ROOT, 'k8s/components/nfs-uploads/storage-class.yaml'), 'utf8')) as K8sObject;
    expect(() => new models.storageK8sIo.v1.StorageClass(storageClass as any).validate()).not.toThrow();
    expect(claim.spec).toMatchObject({ accessModes: ['ReadWriteMany'], storageClassName: storageClass.metadata.name });
  });

  it('scrapes every replica and ships the alerts with the monitoring component', () => {
    const objects = withComponent('monitoring');
    const monitor = find(objects, 'PodMonitor', 'chorus')!;
    const app = find(objects, 'Deployment', 'chorus')!;
    expect(app.spec.template.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    const ports = app.spec.template.spec.containers.flatMap((c: any) => c.ports ?? []);
    expect(monitor.spec.podMetricsEndpoints).toEqual([expect.objectContaining({ port: 'metrics', path: '/metrics' })]);
    expect(ports).toContainEqual(expect.objectContaining({ name: 'metrics' }));
    const rule = find(objects, 'PrometheusRule', 'chorus')!;
    expect(rule.metadata.namespace).toBe('chorus');
    // The same alerts as the compose files' Prometheus loads.
    expect(rule.spec.groups).toEqual((parse(fs.readFileSync(path.join(ROOT, 'monitoring/alerts.yml'), 'utf8')) as { groups: unknown }).groups);
  });

  it('mounts in MongoDB the same app-user script as the compose files', () => {
    expect(fs.readFileSync(path.join(ROOT, 'k8s/base/mongo/create-app-user.js'), 'utf8')).toBe(
      fs.readFileSync(path.join(ROOT, 'mongo-init/create-app-user.js'), 'utf8'),
    );
  });

  describe.each(BROKER_COMPONENTS)(`${EXAMPLE_OVERLAY} with the %s component`, (overlay) => {
    const broker = BROKERS[overlay];
    let objects: K8sObject[];
    let app: K8sObject;
    let container: any;
    let config: Record<string, string>;
    beforeAll(() => {
      objects = kustomize(path.join(copy.dir, 'overlays', overlay));
      app = find(objects, 'Deployment', 'chorus')!;
      container = app.spec.template.spec.containers[0];
      const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === container.envFrom[0].configMapRef.name)!;
      config = configMap.data;
    });

    it('renders objects that are valid against the Kubernetes schemas', () => {
      expect(objects.length).toBeGreaterThan(10);
      for (const object of objects) {
        const Model = modelOf(object);
        expect(() => new Model(object).validate(), `${object.kind} ${object.metadata.name}`).not.toThrow();
      }
    });

    it('puts everything in the chorus namespace, which enforces the restricted Pod Security Standard', () => {
      const namespace = find(objects, 'Namespace', 'chorus')!;
      expect(namespace.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
      expect(objects.filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== 'chorus').map((o) => o.metadata.name)).toEqual([]);
    });

    it('adds the broker and points the app at it with known variables', () => {
      expect(config.BROKER).toBe(overlay);
      expect(config[broker.host]).toBe(broker.service);
      expect(find(objects, 'Service', broker.service)?.spec.ports).toContainEqual(expect.objectContaining({ port: broker.port }));
      expect(Number(config[broker.portVariable])).toBe(broker.port);
      expect(find(objects, 'Service', config.DB_HOST!)?.spec.ports).toContainEqual(expect.objectContaining({ port: Number(config.DB_PORT) }));
    });

    it('gives the app only variables the config module knows', () => {
      const names = [...Object.keys(config), ...container.env.map((e: { name: string }) => e.name)];
      expect(names.filter((name) => !KNOWN_VARIABLES.includes(name))).toEqual([]);
    });

    it('keeps passwords and secrets out of ConfigMaps', () => {
      for (const configMap of objects.filter((o) => o.kind === 'ConfigMap')) {
        for (const [key, value] of Object.entries<string>(configMap.data ?? {})) {
          if (key.endsWith('.js')) continue; // the init script reads its credentials from the environment
          expect(key, `${configMap.metadata.name}.${key}`).not.toMatch(SECRET_NAME);
          expect(value, `${configMap.metadata.name}.${key}`).not.toMatch(/:\/\/[^/]*:[^/]*@/);
        }
      }
      // The app's secrets come from Secrets, one key each.
      const fromSecrets = container.env.filter((e: any) => e.valueFrom?.secretKeyRef).map((e: any) => e.name);
      expect(fromSecrets).toEqual(expect.arrayContaining(['SESSION_SECRET', 'MONGO_PASSWORD']));
    });

    it('resolves every Secret and ConfigMap key that a container reads', () => {
      for (const workload of workloads(objects)) {
        for (const c of workload.spec.template.spec.containers) {
          for (const { valueFrom } of c.env ?? []) {
            const ref = valueFrom?.secretKeyRef ?? valueFrom?.configMapKeyRef;
            if (!ref) continue;
            const source = find(objects, valueFrom.secretKeyRef ? 'Secret' : 'ConfigMap', ref.name);
            expect({ ...source?.data }, `${workload.metadata.name} reads ${ref.name}.${ref.key}`).toHaveProperty(ref.key);
          }
        }
      }
    });

    it('gives every container probes, resources and a restricted security context', () => {
      for (const workload of workloads(objects)) {
        const pod = workload.spec.template.spec;
        const where = workload.metadata.name;
        expect(pod.securityContext, where).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
        expect(pod.securityContext.runAsUser, where).toBeGreaterThan(0);
        expect(pod.automountServiceAccountToken, where).toBe(false);
        for (const c of pod.containers) {
          expect(c.readinessProbe, `${where} readinessProbe`).toBeDefined();
          expect(c.livenessProbe, `${where} livenessProbe`).toBeDefined();
          expect(c.resources.requests, where).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
          expect(c.resources.limits, where).toMatchObject({ memory: expect.any(String) });
          expect(c.securityContext, where).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
          expect(c.securityContext.readOnlyRootFilesystem, where).toBe(!WRITABLE_ROOT.includes(c.name));
          expect(imageProblem(c.image), where).toBeUndefined();
        }
      }
    });

    it('checks the app: alive on /healthz, ready on /readyz (the store; the broker is only reported), drained before SIGTERM', () => {
      expect(container.livenessProbe.httpGet).toMatchObject({ path: '/healthz', port: 'http' });
      expect(container.readinessProbe.httpGet).toMatchObject({ path: '/readyz', port: 'http' });
      expect(container.ports).toContainEqual({ name: 'http', containerPort: Number(config.PORT) });
      expect(container.lifecycle.preStop).toBeDefined();
    });

    it('shares one ReadWriteMany uploads volume between the replicas, where UPLOAD_DIR points', () => {
      const volume = app.spec.template.spec.volumes.find((v: any) => v.persistentVolumeClaim);
      const claim = find(objects, 'PersistentVolumeClaim', volume.persistentVolumeClaim.claimName)!;
      expect(claim.spec.accessModes).toEqual(['ReadWriteMany']);
      expect(container.volumeMounts).toContainEqual(expect.objectContaining({ name: volume.name, mountPath: config.UPLOAD_DIR }));
    });

    it('lets the autoscaler own the replica count, and disruptions take one replica at a time', () => {
      expect(app.spec.replicas).toBeUndefined();
      const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler')!;
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'chorus' });
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
      const pdb = objects.find((o) => o.kind === 'PodDisruptionBudget')!;
      expect(matches(pdb.spec.selector.matchLabels, app.spec.template.metadata.labels)).toBe(true);
      expect(pdb.spec.maxUnavailable).toBe(1);
    });

    it('routes the HTTPRoute to the chat port only, with a sticky cookie and no request deadline', () => {
      const route = find(objects, 'HTTPRoute', 'chorus')!;
      expect(route.spec.parentRefs.length).toBeGreaterThan(0);
      expect(route.spec.rules).toHaveLength(1);
      const [rule] = route.spec.rules;
      expect(rule.sessionPersistence).toMatchObject({ type: 'Cookie', sessionName: AFFINITY_COOKIE, cookieConfig: { lifetimeType: 'Session' } });
      // A WebSocket is one request for as long as the tab stays open.
      expect(rule.timeouts).toEqual({ request: '0s', backendRequest: '0s' });
      expect(rule.backendRefs).toHaveLength(1);
      const service = find(objects, 'Service', rule.backendRefs[0].name)!;
      expect(service.spec.ports).toEqual([expect.objectContaining({ port: rule.backendRefs[0].port, targetPort: 'http' })]);
      expect(matches(service.spec.selector, app.spec.template.metadata.labels)).toBe(true);
    });

    it('serves /metrics on its own port, scraped from the pods and on no Service', () => {
      const annotations = app.spec.template.metadata.annotations;
      expect(config.METRICS_PORT).toBeDefined();
      expect(config.METRICS_PORT).not.toBe(config.PORT);
      expect(annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': config.METRICS_PORT, 'prometheus.io/path': '/metrics' });
      expect(container.ports).toContainEqual({ name: 'metrics', containerPort: Number(config.METRICS_PORT) });
      for (const service of objects.filter((o) => o.kind === 'Service' && matches(o.spec.selector, app.spec.template.metadata.labels))) {
        const targets = service.spec.ports.map((p: any) => p.targetPort);
        expect(targets, service.metadata.name).not.toContain('metrics');
        expect(targets, service.metadata.name).not.toContain(Number(config.METRICS_PORT));
      }
    });

    it('sizes the replicas from the bench: one core requested, scaled out below the knee', () => {
      const request = cores(container.resources.requests.cpu);
      const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler')!;
      const target = hpa.spec.metrics.find((m: any) => m.resource?.name === 'cpu').resource.target.averageUtilization / 100;
      // A replica's core is 70-85 % busy at its knee (README, Benchmarks): scale out between half a core
      // and the knee, not at a tenth of one.
      expect(request * target).toBeGreaterThanOrEqual(0.5);
      expect(request * target).toBeLessThan(0.7);
    });

    it('gives the broker a password from the chorus-broker Secret, and the replicas the same one', () => {
      const brokerWorkload = workloads(objects).find((w) => w.metadata.name === broker.service)!;
      const secretKeys = (c: any) => (c.env ?? []).filter((e: any) => e.valueFrom?.secretKeyRef).map((e: any) => [unhashed(e.valueFrom.secretKeyRef.name), e.valueFrom.secretKeyRef.key]);
      const brokerReads = brokerWorkload.spec.template.spec.containers.flatMap(secretKeys);
      for (const key of broker.credentials) {
        expect(brokerReads, `${broker.service} reads ${key}`).toContainEqual(['chorus-broker', key]);
        expect(secretKeys(container), `the app reads ${key}`).toContainEqual(['chorus-broker', key]);
      }
      if (overlay === 'redis') expect(brokerWorkload.spec.template.spec.containers[0].args).toEqual(expect.arrayContaining(['--requirepass', '$(REDISCLI_AUTH)']));
      if (overlay === 'nats') {
        const nats = brokerWorkload.spec.template.spec;
        expect(nats.containers[0].args).toEqual(['--config', '/etc/nats/nats.conf']);
        const volume = nats.volumes.find((v: any) => v.configMap);
        expect(find(objects, 'ConfigMap', volume.configMap.name)!.data['nats.conf']).toMatch(/authorization\s*{[^}]*\$NATS_PASSWORD/);
      }
    });

    it('lets MongoDB read only its own ConfigMaps and Secrets, never the app\'s', () => {
      const mongo = find(objects, 'StatefulSet', 'mongo')!;
      expect(sourcesOf(mongo).map(unhashed).filter((name) => !MONGO_SOURCES.includes(name))).toEqual([]);
      // The app reads its database and login from the same objects MongoDB creates its user from.
      expect(sourcesOf(app).map(unhashed)).toEqual(expect.arrayContaining(['mongo-config', 'mongo-credentials']));
    });

    it('selects pods with every Service, and lets only the app reach MongoDB and the broker', () => {
      const podLabels = workloads(objects).map((w) => w.spec.template.metadata.labels);
      for (const service of objects.filter((o) => o.kind === 'Service')) {
        expect(podLabels.some((labels) => matches(service.spec.selector, labels)), service.metadata.name).toBe(true);
      }
      for (const name of ['mongo', broker.service]) {
        const policy = find(objects, 'NetworkPolicy', name)!;
        expect(policy.spec.ingress[0].from[0].podSelector.matchLabels).toEqual(app.spec.selector.matchLabels);
      }
    });
  });

  describe('overlay redis with the uploads-in-mongodb component', () => {
    let objects: K8sObject[];
    beforeAll(() => {
      // An overlay of one's own over the example rendered for redis (the README adds the component to the copy itself).
      const overlay = path.join(copy.dir, 'overlays/own-uploads-in-mongodb');
      fs.mkdirSync(overlay);
      fs.writeFileSync(
        path.join(overlay, 'kustomization.yaml'),
        ['apiVersion: kustomize.config.k8s.io/v1beta1', 'kind: Kustomization', 'resources: [../redis]', 'components: [../../components/uploads-in-mongodb]', ''].join('\n'),
      );
      objects = kustomize(overlay);
    });

    it('renders valid objects', () => {
      for (const object of objects) expect(() => new (modelOf(object))(object).validate(), `${object.kind} ${object.metadata.name}`).not.toThrow();
    });

    it('keeps avatars in MongoDB: UPLOAD_STORE=mongodb, and no uploads volume to claim or mount', () => {
      const app = find(objects, 'Deployment', 'chorus')!;
      const pod = app.spec.template.spec;
      const configMap = find(objects, 'ConfigMap', pod.containers[0].envFrom[0].configMapRef.name)!;
      expect(configMap.data).toMatchObject({ UPLOAD_STORE: 'mongodb', DB_HOST: 'mongo' });
      expect(objects.filter((o) => o.kind === 'PersistentVolumeClaim')).toEqual([]);
      expect(pod.volumes.filter((v: any) => v.persistentVolumeClaim)).toEqual([]);
      expect(pod.containers[0].volumeMounts.map((m: any) => m.mountPath)).not.toContain(configMap.data.UPLOAD_DIR);
    });
  });
});
