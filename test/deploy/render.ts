/**
 * Renders the deployment files the way their tools would, offline: Compose files with
 * `docker-compose config` (it interpolates variables) and against the Compose Specification schema
 * Compose v2 enforces, kustomize overlays with `kubectl kustomize`. Plus the checks that several of the
 * deploy tests share, among them the minimum version of every pinned image.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse, parseAllDocuments } from 'yaml';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export const COMPOSE_FILES = ['docker-compose.yaml', 'docker-compose.redis.yaml', 'docker-compose.rabbit.yaml', 'docker-compose.nats.yaml'] as const;
/** Added with `-f` on top of a per-broker file: HTTPS through Traefik. */
export const TLS_OVERRIDE = 'docker-compose.tls.yaml';
/** The broker components (k8s/components/<broker>); a deployment's overlay picks one. */
export const BROKER_COMPONENTS = ['redis', 'rabbit', 'nats'] as const;
/** The overlay users copy: the base, one broker component, their Secrets, image and host. */
export const EXAMPLE_OVERLAY = 'overlays/example';

/** What the compose files require from .env; values a test can recognise. */
export const COMPOSE_SECRETS: Record<string, string> = {
  SESSION_SECRET: 'test-session-secret',
  MONGO_ROOT_PASSWORD: 'test-root-password',
  MONGO_DB_APP_PASSWORD: 'test-app-password',
  RABBIT_PASSWORD: 'test-rabbit-password',
  REDIS_PASSWORD: 'test-redis-password',
  NATS_PASSWORD: 'test-nats-password',
};

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): RunResult {
  const result = spawnSync(command, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * `docker-compose -f <file> config` with exactly `variables` set: no .env of the developer's, no
 * COMPOSE_* of the environment.
 */
export function composeConfig(file: string | string[], variables: Record<string, string>, profiles: string[] = []): RunResult {
  const emptyEnvFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'chorus-compose-')), 'empty.env');
  fs.writeFileSync(emptyEnvFile, '');
  try {
    const files = [file].flat().flatMap((f) => ['-f', f]);
    const args = ['--env-file', emptyEnvFile, ...files, ...profiles.flatMap((p) => ['--profile', p]), 'config'];
    return run('docker-compose', args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...variables } });
  } finally {
    fs.rmSync(path.dirname(emptyEnvFile), { recursive: true, force: true });
  }
}

/** The rendered configuration of a compose file (or of several merged), with every required secret set. */
export function renderCompose(file: string | string[], profiles: string[] = []): ComposeFile {
  const result = composeConfig(file, COMPOSE_SECRETS, profiles);
  if (result.status !== 0) throw new Error(`docker-compose config -f ${String(file)} failed:\n${result.stderr}`);
  return parse(result.stdout) as ComposeFile;
}

let composeSpecValidator: ReturnType<Ajv['compile']> | undefined;

/**
 * Where a compose file, as written (variables not yet interpolated), breaks the Compose Specification
 * schema that Compose v2 enforces (test/deploy/compose-spec/, vendored from the compose-spec project);
 * empty when it follows it.
 */
export function composeSpecProblems(source: unknown): ErrorObject[] {
  if (!composeSpecValidator) {
    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/deploy/compose-spec/compose-spec.json'), 'utf8')) as Record<string, unknown>;
    // It names its draft-07 meta-schema by an https URL that ajv does not know (it checks draft-07 by
    // its http id); the keywords are draft-07 ones, which ajv validates by default.
    delete schema.$schema;
    composeSpecValidator = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }
  return composeSpecValidator(source) ? [] : [...(composeSpecValidator.errors ?? [])];
}

export interface ComposeService {
  image?: string;
  container_name?: string;
  ports?: unknown[];
  environment?: Record<string, string | null>;
  volumes?: (string | { type: string; source: string; target: string })[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] | string };
  labels?: Record<string, string>;
  profiles?: string[];
  [key: string]: unknown;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/**
 * A temporary copy of k8s/ set up as a user would: every `*.env.example` copied to its `*.env`, and the
 * example overlay copied once per broker component to `overlays/<broker>`, naming that component.
 */
export function k8sCopyWithSecrets(): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chorus-k8s-'));
  fs.cpSync(path.join(ROOT, 'k8s'), dir, { recursive: true });
  for (const entry of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (entry.endsWith('.env.example')) fs.copyFileSync(path.join(dir, entry), path.join(dir, entry.replace(/\.example$/, '')));
  }
  const example = path.join(dir, EXAMPLE_OVERLAY);
  const kustomization = fs.readFileSync(path.join(example, 'kustomization.yaml'), 'utf8');
  for (const broker of BROKER_COMPONENTS) {
    const overlay = path.join(dir, 'overlays', broker);
    fs.cpSync(example, overlay, { recursive: true });
    const picked = kustomization.replace(/^(\s*- \.\.\/\.\.\/components\/)redis$/m, `$1${broker}`);
    if (!picked.includes(`components/${broker}\n`)) throw new Error(`${EXAMPLE_OVERLAY} names no broker component to swap`);
    fs.writeFileSync(path.join(overlay, 'kustomization.yaml'), picked);
  }
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: any;
}

/** `kubectl kustomize <dir>`: the objects it renders. */
export function kustomize(dir: string): K8sObject[] {
  const result = run('kubectl', ['kustomize', dir]);
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${result.stderr}`);
  return parseAllDocuments(result.stdout).map((doc) => doc.toJS() as K8sObject);
}

/**
 * Undefined when kubectl is on the PATH with a kustomize that reads these kustomizations (4.1 or newer,
 * for `labels`), else what is missing. Debian's kubernetes-client (1.20, kustomize 2) is too old.
 */
export function missingKustomize(): string | undefined {
  let version: string | undefined;
  try {
    const result = run('kubectl', ['version', '--client', '-o', 'json']);
    version = (JSON.parse(result.stdout) as { kustomizeVersion?: string }).kustomizeVersion;
  } catch {
    return 'kubectl is not installed, or did not say its kustomize version (4.1 or newer is needed: kubectl 1.22+)';
  }
  const [major = 0, minor = 0] = (version ?? '').replace(/^v/, '').split('.').map(Number);
  return major > 4 || (major === 4 && minor >= 1) ? undefined : `kubectl's kustomize is ${version ?? 'unknown'}; these manifests need 4.1 or newer (kubectl 1.22+)`;
}

export function runKustomize(dir: string): RunResult {
  return run('kubectl', ['kustomize', dir]);
}

/**
 * The oldest release each third-party image may be pinned to, and why. Bumping a pin past a new fix is
 * a one-line change here. Every image the deploy files use must be listed (the app's own is built).
 */
export const MINIMUM_IMAGES: Record<string, { minimum: string; reason: string }> = {
  traefik: { minimum: '3.6.1', reason: 'older releases speak Docker API 1.24, which Docker Engine 29 refuses (traefik/traefik#12253)' },
  mongo: { minimum: '8.0.21', reason: 'CVE-2025-14847 "MongoBleed" (fixed in 8.0.17) and CVE-2026-6914 (fixed in 8.0.21)' },
  redis: { minimum: '8.8.3', reason: 'CVE-2025-49844 (fixed in 7.4.6), CVE-2026-23479 (7.2.0-8.6.2), the 8.8 security releases up to 8.8.3' },
  rabbitmq: { minimum: '4.3.0', reason: 'the release series with community support; 4.0 is out of it' },
  nats: { minimum: '2.12.0', reason: 'the oldest series still maintained (2.10 and 2.11 are gone from the official image)' },
  'prom/prometheus': { minimum: '3.5.0', reason: 'older than the 3.5 long-term-support release get no fixes' },
  'grafana/grafana': { minimum: '13.2.0', reason: 'CVE-2026-17183 (fixed in 13.2.0)' },
  node: { minimum: '24.14.1', reason: 'the March 2026 security release of Node 24, the LTS line the image runs' },
};

/** `traefik:v3.7.13` → `3.7.13`; `redis:8.8.3-alpine` → `8.8.3`; undefined when the tag has no version. */
function tagVersion(tag: string): number[] | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(tag);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] : undefined;
}

function olderThan(version: number[], minimum: number[]): boolean {
  const index = version.findIndex((part, i) => part !== minimum[i]);
  return index !== -1 && version[index]! < minimum[index]!;
}

/**
 * Why an image reference is not acceptable, or undefined: it must carry an explicit version tag (not
 * `latest`), name no registry host, so it resolves the same way wherever the files are used, and be no
 * older than its entry in MINIMUM_IMAGES (`ownImages`, built from this repository, have none).
 */
export function imageProblem(image: string, ownImages: string[] = ['chorus']): string | undefined {
  const [first] = image.split('/');
  if (image.includes('/') && (first!.includes('.') || first!.includes(':') || first === 'localhost')) return `${image} names a registry host`;
  const [repository = '', tag] = image.split(':');
  if (!tag) return `${image} has no tag`;
  if (tag === 'latest' || !/\d/.test(tag)) return `${image} is not pinned to a version`;
  if (ownImages.includes(repository)) return undefined;
  const floor = MINIMUM_IMAGES[repository];
  if (!floor) return `${image}: no minimum version for ${repository} in MINIMUM_IMAGES`;
  const version = tagVersion(tag);
  if (!version) return `${image}: the tag does not start with a version`;
  if (olderThan(version, tagVersion(floor.minimum)!)) return `${image} is older than ${floor.minimum}: ${floor.reason}`;
  return undefined;
}

export interface Mount {
  type: 'volume' | 'bind';
  source: string;
  target: string;
  read_only: boolean;
}

/** A service's volumes in one shape, whether Compose printed them short (`src:dst:ro`) or long. */
export function mounts(service: ComposeService): Mount[] {
  return (service.volumes ?? []).map((volume) => {
    if (typeof volume !== 'string') {
      const long = volume as { type: string; source: string; target: string; read_only?: boolean };
      return { type: long.type === 'volume' ? 'volume' : 'bind', source: long.source, target: long.target, read_only: long.read_only === true };
    }
    const [source = '', target = '', mode = 'rw'] = volume.split(':');
    return { type: source.startsWith('/') || source.startsWith('.') ? 'bind' : 'volume', source, target, read_only: mode.split(',').includes('ro') };
  });
}

export interface PublishedPort {
  host_ip?: string;
  published?: number;
  target: number;
}

/** A service's published ports in one shape, short (`[ip:]published:target[/proto]`) or long. */
export function publishedPorts(service: ComposeService): PublishedPort[] {
  return (service.ports ?? []).map((port) => {
    if (typeof port !== 'string') {
      const long = port as { host_ip?: string; published?: number | string; target: number };
      return { host_ip: long.host_ip, published: long.published === undefined ? undefined : Number(long.published), target: Number(long.target) };
    }
    const parts = port.split('/')[0]!.split(':');
    const target = Number(parts.pop());
    const published = parts.length > 0 ? Number(parts.pop()) : undefined;
    return { host_ip: parts.pop(), published, target };
  });
}
