/**
 * The Dockerfile and .dockerignore, read as Docker would read them (no Docker engine runs here, so
 * nothing is built): pinned base images, a non-root user, a health check, production dependencies only,
 * a build context that holds what is copied and nothing secret, and a runtime that needs no dev package.
 */
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KNOWN_VARIABLES } from '../../src/config/config.js';
import { ROOT, imageProblem } from './render.js';

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions in order, continuation lines joined, comments dropped. */
function readDockerfile(): Instruction[] {
  const text = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

const instructions = readDockerfile();
const argDefaults = Object.fromEntries(
  instructions.filter((i) => i.keyword === 'ARG' && i.args.includes('=')).map((i) => i.args.split('=') as [string, string]),
);
/** The instructions of each stage, by stage name. */
const stages = new Map<string, Instruction[]>();
let current: Instruction[] = [];
for (const instruction of instructions) {
  if (instruction.keyword === 'FROM') {
    current = [instruction];
    stages.set(instruction.args.split(/\s+AS\s+/i)[1] ?? String(stages.size), current);
  } else {
    current.push(instruction);
  }
}
const runtime = [...stages.values()].at(-1)!;
const of = (stage: Instruction[], keyword: string) => stage.filter((i) => i.keyword === keyword);

describe('Dockerfile', () => {
  it('builds in stages from a pinned base image that names no registry', () => {
    expect(stages.size).toBeGreaterThanOrEqual(3);
    for (const from of of(instructions, 'FROM')) {
      const image = from.args.split(/\s+/)[0]!.replace(/^\$\{(\w+)\}$/, (_, name: string) => argDefaults[name] ?? '');
      if (stages.has(image)) continue; // built on an earlier stage
      expect(imageProblem(image), from.args).toBeUndefined();
      expect(image).toMatch(/-slim$/);
    }
  });

  it('installs production dependencies only into the image it runs', () => {
    const deps = [...stages.entries()].find(([, stage]) => of(stage, 'RUN').some((r) => r.args.includes('npm ci --omit=dev')));
    expect(deps).toBeDefined();
    expect(of(runtime, 'COPY')).toContainEqual({ keyword: 'COPY', args: `--from=${deps![0]} /app/node_modules ./node_modules` });
    expect(of(runtime, 'RUN').some((r) => r.args.includes('npm'))).toBe(false);
  });

  it('runs as an unprivileged user, by number', () => {
    const [user] = of(runtime, 'USER').map((u) => u.args);
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
  });

  it('checks /healthz and starts the compiled app, with only variables the config module knows', () => {
    expect(of(runtime, 'HEALTHCHECK')[0]?.args).toContain('/healthz');
    expect(of(runtime, 'CMD')[0]?.args).toContain('dist/app/main.js');
    const variables = of(runtime, 'ENV').flatMap((e) => [...e.args.matchAll(/(\w+)=/g)].map((m) => m[1]!));
    expect(variables).toContain('NODE_ENV');
    expect(variables.filter((v) => !KNOWN_VARIABLES.includes(v))).toEqual([]);
  });

  it('copies only files that exist and that .dockerignore lets into the build context', () => {
    const ignore = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    // An allow-list: everything is excluded, then only what the image needs is let back in.
    expect(ignore[0]).toBe('*');
    const allowed = ignore.slice(1).map((rule) => rule.replace(/^!/, '').replace(/\/$/, ''));
    const sources = of(instructions, 'COPY')
      .filter((c) => !c.args.startsWith('--from'))
      .flatMap((c) => c.args.split(/\s+/).slice(0, -1).filter((a) => !a.startsWith('--')));
    for (const source of sources) {
      expect(fs.existsSync(path.join(ROOT, source)), source).toBe(true);
      expect(allowed, source).toContain(source);
    }
    expect(allowed.filter((a) => !sources.includes(a))).toEqual([]);
  });

  it('needs at run time only packages that `npm ci --omit=dev` installs', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const builtins = new Set(builtinModules);
    const imported = new Set<string>();
    const dist = path.join(ROOT, 'dist');
    for (const file of fs.readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'))) {
      const code = fs.readFileSync(path.join(dist, file), 'utf8');
      for (const [, specifier] of code.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
        if (specifier!.startsWith('.') || specifier!.startsWith('node:') || builtins.has(specifier!)) continue;
        const parts = specifier!.split('/');
        imported.add(specifier!.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
      }
    }
    expect(imported.size).toBeGreaterThan(5);
    expect([...imported].filter((name) => !(name in pkg.dependencies))).toEqual([]);
  });
});
