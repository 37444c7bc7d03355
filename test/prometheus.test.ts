/**
 * Prometheus for real: the alert rules pass their promtool unit tests, and
 * tools/scale-out.sh runs Debian's Prometheus scraping every API, worker and
 * RabbitMQ with those rules. Through it, after a small sale, every metric the
 * Grafana dashboard and the alerts query must be one a process exports.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Agent, fetch } from 'undici';
import { parse } from 'yaml';
import { signToken } from '../tools/lib/jwt';
import { freePort } from '../tools/lib/ports';
import { sleep } from '../tools/lib/wait';

const ROOT = path.resolve(__dirname, '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const run = promisify(execFile);

interface RuleFile {
  groups: { rules: { alert?: string; record?: string; expr: string }[] }[];
}
const alertRules = () => (parse(read('deploy/prometheus/alerts.yml')) as RuleFile).groups.flatMap((g) => g.rules);

interface Panel {
  targets?: { expr?: string }[];
  panels?: Panel[];
}

/** Every query of the dashboard, rows' panels included. */
function dashboardExpressions(): string[] {
  const walk = (panels: Panel[] = []): string[] =>
    panels.flatMap((panel) => [
      ...(panel.targets ?? []).flatMap((t) => (t.expr ? [t.expr] : [])),
      ...walk(panel.panels),
    ]);
  return walk((JSON.parse(read('deploy/grafana/dashboards/pulsecart.json')) as Panel).panels);
}

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression selects: what is left once strings,
 * label matchers, ranges, grouping clauses and Grafana's variables are taken
 * out, less function calls and keywords.
 */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\w+/g, ' ');
  return [...bare.matchAll(/(?<![\w.])([A-Za-z_:][\w:]*)(?![\w:]|\s*\()/g)]
    .map(([, name]) => name)
    .filter((name) => !PROMQL_WORDS.has(name.toLowerCase()));
}

/** Series Prometheus makes itself for every target, not exported by any process. */
const SCRAPE_SERIES = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);

describe('the alert rules', () => {
  test('when promtool runs their unit tests, then every case passes', async () => {
    const { stdout } = await run('promtool', ['test', 'rules', 'deploy/prometheus/alerts.test.yml'], { cwd: ROOT });
    expect(stdout).toMatch(/SUCCESS/);
  });

  test('when an alert is defined, then a unit test makes it fire', () => {
    const tests = parse(read('deploy/prometheus/alerts.test.yml')) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const fired = new Set(
      tests.tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)),
    );

    expect(alertRules().flatMap((rule) => (rule.alert && !fired.has(rule.alert) ? [rule.alert] : []))).toEqual([]);
  });

  test('when metric names are read from a query, then functions, labels, ranges and variables are left out', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (le, route) (rate(http_request_duration_seconds_bucket{route!~"/a|/b"}[$__rate_interval]))) > 1',
      ),
    ).toEqual(['http_request_duration_seconds_bucket']);
    expect(metricNames('sum(up{job="w"}) == 0 or absent(up{job="w"})')).toEqual(['up', 'up']);
    expect(metricNames('a_total / on (instance) group_left b offset 5m')).toEqual(['a_total', 'b']);
  });
});

describe('when tools/scale-out.sh runs PulseCart with Prometheus', () => {
  let runDir: string;
  let env: NodeJS.ProcessEnv;
  let prometheusUrl: string;
  let nginxUrl: string;
  let trusting: Agent;
  const scaleOut = (...args: string[]) =>
    run('bash', [path.join(ROOT, 'tools/scale-out.sh'), ...args], { cwd: ROOT, env, maxBuffer: 1 << 24 });
  const query = async <T>(api: string): Promise<T> => {
    const response = await fetch(`${prometheusUrl}${api}`);
    return ((await response.json()) as { data: T }).data;
  };

  beforeAll(async () => {
    runDir = mkdtempSync(path.join(tmpdir(), 'pulsecart-prometheus-'));
    prometheusUrl = `http://127.0.0.1:${await freePort()}`;
    nginxUrl = `https://127.0.0.1:${await freePort()}`;
    env = {
      ...process.env,
      SCALE_OUT_DIR: runDir,
      SCALE_OUT_LISTEN: new URL(nginxUrl).host,
      SCALE_OUT_PROMETHEUS_LISTEN: new URL(prometheusUrl).host,
      SCALE_OUT_API_BASE_PORT: String((await freePort()) - 1),
      SCALE_OUT_WORKER_METRICS_BASE_PORT: String((await freePort()) - 1),
      TEMPORAL_TASK_QUEUE: `prometheus-${randomUUID().slice(0, 8)}`,
    };
    await scaleOut('start', '--apis', '1', '--workers', '1');
    trusting = new Agent({ connect: { ca: readFileSync(path.join(ROOT, '.data/tls/ca.crt')) } });
  }, 240_000);
  afterAll(async () => {
    await trusting?.close();
    await scaleOut('stop');
    rmSync(runDir, { recursive: true, force: true });
  });

  test('then it scrapes every API, worker and RabbitMQ, all up, and evaluates the alert rules', async () => {
    const targets = () =>
      query<{ activeTargets: { labels: { job: string }; health: string }[] }>('/api/v1/targets').then((data) =>
        data.activeTargets.map((t) => `${t.labels.job} ${t.health}`).sort(),
      );
    const rules = () =>
      query<{ groups: { rules: { name: string; health: string }[] }[] }>('/api/v1/rules').then((data) =>
        data.groups.flatMap((g) => g.rules.map((r) => `${r.name} ${r.health}`)).sort(),
      );
    const expected = {
      targets: ['prometheus', 'pulsecart-api', 'pulsecart-worker', 'rabbitmq', 'rabbitmq-queues'].map((j) => `${j} up`),
      rules: alertRules()
        .map((rule) => `${rule.alert ?? rule.record} ok`)
        .sort(),
    };
    // A target is `unknown` until its first scrape (5 s), a rule until its first evaluation (15 s).
    let seen: typeof expected;
    const deadline = Date.now() + 45_000;
    do {
      await sleep(1000);
      seen = { targets: await targets(), rules: await rules() };
    } while (JSON.stringify(seen) !== JSON.stringify(expected) && Date.now() < deadline);

    expect(seen).toEqual(expected);
  });

  test('then every metric the dashboard and the alerts query is exported by a process it scrapes', async () => {
    // A small sale and a reconciliation through nginx, so that metrics only written on use exist.
    const call = async (method: string, uri: string, token: string, body: unknown) =>
      fetch(`${nginxUrl}${uri}`, {
        method,
        dispatcher: trusting,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const admin = await signToken(process.env.JWT_SECRET, `prometheus-admin-${randomUUID()}`, { roles: ['admin'] });
    const created = await call('POST', '/api/v1/admin/products', admin, { name: 'Scraped', price: 5, stock: 1 });
    const { id: productId } = (await created.json()) as { id: number };
    for (const pattern of ['sync', 'async', 'sync']) {
      const buyer = await signToken(process.env.JWT_SECRET, `prometheus-buyer-${randomUUID()}`);
      await call('POST', `/api/v1/${pattern}/purchase`, buyer, { productId, quantity: 1 });
    }
    expect((await call('POST', '/api/v1/admin/reconcile', admin, { productIds: [productId] })).status).toBe(200);

    const recorded = new Set(alertRules().flatMap((rule) => (rule.record ? [rule.record] : [])));
    const queried = new Set(
      [...dashboardExpressions(), ...alertRules().map((rule) => rule.expr)]
        .flatMap(metricNames)
        .filter((name) => !recorded.has(name) && !SCRAPE_SERIES.has(name)),
    );
    let missing: string[];
    // Metrics written by the sale show up at the next scrape (every 5 s).
    const deadline = Date.now() + 30_000;
    do {
      await sleep(2000);
      const exported = new Set(await query<string[]>('/api/v1/label/__name__/values'));
      missing = [...queried].filter((name) => !exported.has(name));
    } while (missing.length > 0 && Date.now() < deadline);

    expect(queried.size).toBeGreaterThan(10);
    expect(missing).toEqual([]);
  });
});
