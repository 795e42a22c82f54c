/**
 * The haproxy configuration that `npm run cluster` generates: haproxy itself checks it (`haproxy -c`),
 * and it sets up what the Traefik files set up. cluster.e2e.test.ts shows it working.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { AFFINITY_COOKIE, parseProxyLogLine, renderHaproxyConfig } from '../../scripts/cluster/haproxy-config.js';
import { describeWhen, missingProgram } from '../helpers/requirements.js';

const backends = [
  { name: 'r1', host: '127.0.0.1', port: 41001 },
  { name: 'r2', host: '127.0.0.1', port: 41002 },
];
const config = renderHaproxyConfig({ bind: { host: '127.0.0.1', port: 41000 }, backends });

describeWhen('the local cluster proxy', [missingProgram('haproxy', 'haproxy')], () => {
  it('is a configuration haproxy accepts', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chorus-haproxy-test-'));
    try {
      fs.writeFileSync(path.join(dir, 'haproxy.cfg'), config);
      const check = spawnSync('haproxy', ['-c', '-f', path.join(dir, 'haproxy.cfg')], { encoding: 'utf8' });
      expect(check.status, check.stderr).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pins each browser to a replica with a cookie naming it, checks readiness, and outwaits a long-poll', () => {
    expect(config).toContain(`cookie ${AFFINITY_COOKIE} insert indirect nocache httponly`);
    for (const b of backends) expect(config).toContain(`server ${b.name} ${b.host}:${b.port} cookie ${b.name}`);
    expect(config).toContain('http-check send meth GET uri /readyz');
    expect(config).toMatch(/timeout server 60s/);
    expect(config).toMatch(/timeout tunnel 1h/);
    expect(config).toMatch(/option redispatch/);
    // A draining replica's 503 to a new session is retried on another replica.
    expect(config).toMatch(/retry-on conn-failure 503/);
  });

  it('refuses a backend name that would not be a plain cookie value', () => {
    expect(() => renderHaproxyConfig({ bind: { host: '127.0.0.1', port: 1 }, backends: [{ name: 'r 1;', host: 'h', port: 2 }] })).toThrow(/backend name/);
  });

  it('reads its own access-log lines and nothing else', () => {
    expect(parseProxyLogLine('chorus-lb r2 GET /socket.io/?EIO=4&transport=websocket&sid=abc 101')).toEqual({
      server: 'r2',
      method: 'GET',
      uri: '/socket.io/?EIO=4&transport=websocket&sid=abc',
      status: 101,
    });
    expect(parseProxyLogLine('[NOTICE] haproxy version is 2.6.12')).toBeUndefined();
  });
});
