/**
 * The alert rules (monitoring/alerts.yml): valid for Prometheus (`promtool check rules`, and the
 * compose Prometheus config that loads them), each alert firing on the series trouble makes and silent
 * on healthy ones (`promtool test rules monitoring/alerts.test.yml`, where every alert has a case), and
 * every series they read one that a replica exports — a renamed metric would otherwise silence an
 * alert without a word. promtool comes with Debian's prometheus package.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startReplica, type Replica } from '../../dev/harness.js';
import { describeWhen, missingProgram } from '../helpers/requirements.js';
import { ROOT } from './render.js';

interface Rule {
  alert: string;
  expr: string;
}
const RULES_FILE = path.join(ROOT, 'monitoring/alerts.yml');
const rules = (parse(fs.readFileSync(RULES_FILE, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
/** Series Prometheus makes itself rather than scrapes. */
const SCRAPE_SERIES = new Set(['up']);
/** A histogram's or summary's series, by the name of the metric they belong to. */
const metricOf = (series: string) => series.replace(/_(bucket|count|sum)$/, '');

function promtool(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd: ROOT, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describeWhen('the alert rules', [missingProgram('promtool', 'prometheus')], () => {
  it('pass promtool check rules, and the compose Prometheus config that loads them checks', () => {
    const checked = promtool('check', 'rules', RULES_FILE);
    expect(checked.output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(checked.status).toBe(0);
    const config = promtool('check', 'config', 'monitoring/prometheus.yml');
    expect(config.output).toContain('SUCCESS: 1 rule files found');
    expect(config.status).toBe(0);
  });

  it('fire as their unit tests say, and every alert has one', () => {
    const tests = fs.readFileSync(path.join(ROOT, 'monitoring/alerts.test.yml'), 'utf8');
    for (const { alert } of rules) expect(tests, alert).toContain(`alertname: ${alert}\n`);
    const tested = promtool('test', 'rules', 'monitoring/alerts.test.yml');
    expect(tested.output).toContain('SUCCESS');
    expect(tested.status).toBe(0);
  });
});

describe('the series the alerts read', () => {
  let replica: Replica;
  beforeAll(async () => {
    replica = await startReplica();
  });
  afterAll(() => replica?.stop());

  it('are all exported by a replica', async () => {
    const exported = await replica.app.metrics.registry.getMetricsAsJSON();
    const names = new Set(exported.map((m) => m.name));
    const read = new Set(rules.flatMap(({ expr }) => [...expr.matchAll(/\b([a-z_:][a-z0-9_:]*)\s*(?=\{|\[|\)|\s*(?:==|>|<|and\b|$))/g)].map((m) => m[1]!)));
    const series = [...read].filter((name) => /^(chorus|nodejs)_/.test(name) || SCRAPE_SERIES.has(name));
    expect(series.length).toBeGreaterThanOrEqual(8);
    for (const name of series) if (!SCRAPE_SERIES.has(name)) expect(names, name).toContain(metricOf(name));
  });
});
