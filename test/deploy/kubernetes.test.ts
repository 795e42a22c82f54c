/**
 * The Kubernetes manifests: each overlay rendered by `kubectl kustomize` (from a copy of k8s/ with the
 * example secret files filled in, as a user would), every object validated against the Kubernetes
 * schemas of kubernetes-models, then the policies a cluster would only enforce at deploy time or not at
 * all: probes, resources, the restricted Pod Security Standard, affinity on the Ingress, no secret in a
 * ConfigMap, only known variables for the app, and references that resolve.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as models from 'kubernetes-models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AFFINITY_COOKIE } from '../../scripts/cluster/haproxy-config.js';
import { KNOWN_VARIABLES } from '../../src/config/config.js';
import { describeWhen } from '../helpers/requirements.js';
import { OVERLAYS, ROOT, imageProblem, k8sCopyWithSecrets, kustomize, missingKustomize, runKustomize, type K8sObject } from './render.js';

/** The broker each overlay adds: its Service, and the variables that point the app at it. */
const BROKERS: Record<(typeof OVERLAYS)[number], { service: string; port: number; host: string; portVariable: string }> = {
  redis: { service: 'redis', port: 6379, host: 'REDIS_HOST', portVariable: 'REDIS_PORT' },
  rabbit: { service: 'rabbitmq', port: 5672, host: 'RABBIT_HOST', portVariable: 'RABBIT_PORT' },
  nats: { service: 'nats', port: 4222, host: 'NATS_HOST', portVariable: 'NATS_PORT' },
};
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
const find = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

describeWhen('Kubernetes manifests', [missingKustomize()], () => {
  let copy: ReturnType<typeof k8sCopyWithSecrets>;
  beforeAll(() => {
    copy = k8sCopyWithSecrets();
  });
  afterAll(() => copy?.remove());

  it('will not render without the secrets file, rather than deploy known passwords', () => {
    fs.rmSync(path.join(copy.dir, 'base/secrets.env'));
    try {
      const result = runKustomize(path.join(copy.dir, 'overlays/redis'));
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('secrets.env');
    } finally {
      fs.copyFileSync(path.join(copy.dir, 'base/secrets.env.example'), path.join(copy.dir, 'base/secrets.env'));
    }
  });

  it('mounts in MongoDB the same app-user script as the compose files', () => {
    expect(fs.readFileSync(path.join(ROOT, 'k8s/base/mongo/create-app-user.js'), 'utf8')).toBe(
      fs.readFileSync(path.join(ROOT, 'mongo-init/create-app-user.js'), 'utf8'),
    );
  });

  describe.each(OVERLAYS)('overlay %s', (overlay) => {
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

    it('checks the app: alive on /healthz, ready on /readyz (store and broker), drained before SIGTERM', () => {
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

    it('routes the Ingress to the app with a sticky cookie and WebSocket-friendly timeouts', () => {
      const ingress = objects.find((o) => o.kind === 'Ingress')!;
      const annotations = ingress.metadata.annotations!;
      expect(annotations).toMatchObject({
        'nginx.ingress.kubernetes.io/affinity': 'cookie',
        'nginx.ingress.kubernetes.io/session-cookie-name': AFFINITY_COOKIE,
      });
      // Far above Engine.IO's 25 s long-poll, and long enough for a WebSocket to idle between pings.
      expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(3600);
      expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-send-timeout'])).toBeGreaterThanOrEqual(3600);
      const backend = ingress.spec.rules[0].http.paths[0].backend.service;
      const service = find(objects, 'Service', backend.name)!;
      expect(service.spec.ports).toContainEqual(expect.objectContaining({ name: backend.port.name, targetPort: 'http' }));
      expect(matches(service.spec.selector, app.spec.template.metadata.labels)).toBe(true);
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
      // As the README says to use it: an overlay of one's own, over a broker's overlay.
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
