/**
 * docker-compose.yml cannot be run here (no Docker engine), so this reads it the
 * way `docker compose` would: YAML with merge keys, `${VAR}` interpolation, the
 * Compose Specification schema. Then it checks what the schema cannot: pinned
 * images, start-up order, healthchecks, the app's configuration, and that the
 * files the stack mounts agree with the code (ports, metrics, Temporal set-up).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { createApiMetrics, observeClients } from '../src/api/metrics';
import { loadConfig } from '../src/config';
import { NODE_FLAGS } from '../tools/lib/processes';
import { DYNAMIC_CONFIG, SEARCH_ATTRIBUTES } from '../tools/temporal';

const ROOT = path.resolve(__dirname, '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

type Scalar = string | number | boolean | null;
interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, Scalar> | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  volumes?: (string | { type?: string; source?: string; target: string })[];
  deploy?: { replicas?: number };
  restart?: string;
}
interface Compose {
  services: Record<string, Service>;
}

/** What the person running `docker compose up` must provide; everything else has a default. */
const USER_ENV = {
  JWT_SECRET: 'compose-test-secret-0123456789-abcdef',
  PAYLOAD_KEYS: `compose:${Buffer.alloc(32, 7).toString('base64')}`,
};

/** Compose interpolation: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}. */
const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

function interpolate(text: string, env: Record<string, string>): string {
  if (text.replace(REFERENCE, '').includes('${')) throw new Error(`unsupported interpolation in ${text}`);
  return text.replace(REFERENCE, (match, braced?: string, operator?: string, argument?: string, bare?: string) => {
    if (match === '$$') return '$';
    const name = (braced ?? bare) as string;
    const value = env[name];
    const missing = value === undefined || (operator?.startsWith(':') === true && value === '');
    if (missing && operator?.endsWith('-')) return argument as string;
    if (missing && operator?.endsWith('?'))
      throw new Error(`required variable ${name} is missing a value: ${argument}`);
    return value ?? '';
  });
}

function interpolateAll(value: unknown, env: Record<string, string>): unknown {
  if (typeof value === 'string') return interpolate(value, env);
  if (Array.isArray(value)) return value.map((item) => interpolateAll(item, env));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateAll(item, env)]));
  }
  return value;
}

const raw: unknown = parse(read('docker-compose.yml'), { merge: true });
const load = (env: Record<string, string>) => interpolateAll(raw, env) as Compose;
const compose = load(USER_ENV);
const services = compose.services;

function service(name: string): Service {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

/** A service's environment as the process sees it: strings, whichever form compose uses. */
function environmentOf(name: string): Record<string, string> {
  const env = service(name).environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((entry) => [entry.split('=')[0], entry.split('=').slice(1).join('=')]));
  }
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, value === null ? '' : String(value)]));
}

function dependencies(name: string): Record<string, string | undefined> {
  const dependsOn = service(name).depends_on ?? {};
  if (Array.isArray(dependsOn)) return Object.fromEntries(dependsOn.map((target) => [target, undefined]));
  return Object.fromEntries(Object.entries(dependsOn).map(([target, spec]) => [target, spec.condition]));
}

/** Bind mounts of a service, short ("./host:/container[:mode]") or long syntax. */
function bindMounts(of: Service): { source: string; target: string }[] {
  return (of.volumes ?? []).flatMap((volume) => {
    if (typeof volume !== 'string') {
      return volume.type === 'bind' && volume.source ? [{ source: volume.source, target: volume.target }] : [];
    }
    const [source, target] = volume.split(':');
    return source.startsWith('.') || source.startsWith('/') ? [{ source, target }] : [];
  });
}

function mountOf(name: string, source: string): string {
  const mount = bindMounts(service(name)).find((m) => path.normalize(m.source) === path.normalize(source));
  if (!mount) throw new Error(`${name} does not mount ${source}`);
  return mount.target;
}

/** Services others wait for to finish (service_completed_successfully): they are meant to exit. */
const oneShots = new Set(
  Object.keys(services).flatMap((name) =>
    Object.entries(dependencies(name))
      .filter(([, condition]) => condition === 'service_completed_successfully')
      .map(([target]) => target),
  ),
);

const dockerfile = read('Dockerfile');
const APP_SERVICES = ['api', 'worker'];

function isPinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const name = image.slice(image.lastIndexOf('/') + 1);
  const tag = name.includes(':') ? name.slice(name.indexOf(':') + 1) : '';
  return tag !== '' && tag !== 'latest' && /\d+\.\d+/.test(tag);
}

describe('docker-compose.yml', () => {
  test('when the file is validated against the Compose Specification schema, then it conforms', () => {
    const schema = JSON.parse(read('test/fixtures/compose-spec.json'));
    const draft07 = JSON.parse(readFileSync(require.resolve('ajv/dist/refs/json-schema-draft-07.json'), 'utf8'));
    const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strictTypes: false });
    // The schema names its meta-schema by an https URL; Ajv knows draft-07 by its http one.
    ajv.addMetaSchema({ ...draft07, $id: schema.$schema });
    const validate = ajv.compile(schema);

    validate(compose);

    expect(validate.errors ?? []).toEqual([]);
  });

  test('when JWT_SECRET is not set, then interpolation fails instead of starting with no secret', () => {
    expect(() => load({})).toThrow(/JWT_SECRET/);
  });

  test('when an image is pulled, then it is pinned to an explicit version, never latest', () => {
    const unpinned = Object.entries(services)
      .filter(([, s]) => !s.build)
      .filter(([, s]) => !s.image || !isPinned(s.image))
      .map(([name, s]) => `${name}: ${s.image}`);

    expect(unpinned).toEqual([]);
    for (const name of Object.keys(services).filter((n) => service(n).build)) {
      expect(service(name).image).not.toMatch(/:latest$/);
    }
  });

  test('when api, worker and migrate start, then they run compiled entry points whose sources exist', () => {
    const entryPoints = { api: 'src/api/main', worker: 'src/workers/main', migrate: 'tools/migrate-cli' };

    for (const [name, source] of Object.entries(entryPoints)) {
      expect(service(name).build).toBeDefined();
      expect(service(name).command).toEqual(['node', ...(NODE_FLAGS[`${source}.ts`] ?? []), `dist/${source}.js`]);
      expect(existsSync(path.join(ROOT, `${source}.ts`))).toBe(true);
    }
  });

  test('when the api is started by npm run api or tools/scale-out.sh, then it runs with NODE_FLAGS as well', () => {
    const flags = NODE_FLAGS['src/api/main.ts'].join(' ');
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;

    expect(scripts.api).toBe(`node ${flags} --import tsx src/api/main.ts`);
    expect(read('tools/scale-out.sh')).toContain(`src/api/main.ts) echo ${flags} ;;`);
  });

  test('when api, worker and migrate read their environment, then loadConfig accepts it in production', () => {
    for (const name of [...APP_SERVICES, 'migrate']) {
      const env = environmentOf(name);

      const config = loadConfig({ ...env, NODE_ENV: 'production' });

      expect(config.JWT_SECRET).toBe(USER_ENV.JWT_SECRET);
      expect(config.TEMPORAL_ADDRESS).toBe('temporal:7233');
    }
  });

  test('when the api starts, then every configuration key is set explicitly, the required ones included', () => {
    const env = environmentOf('api');
    const keys = Object.keys(loadConfig({ ...env, NODE_ENV: 'production' }));

    expect(keys.filter((key) => !(key in env))).toEqual([]);
    for (const key of ['DATABASE_URL', 'REDIS_URL', 'AMQP_URL', 'TEMPORAL_ADDRESS', 'JWT_SECRET']) {
      expect(env[key]).toBeTruthy();
    }
  });

  test('when the app connects to PostgreSQL, Redis, RabbitMQ and Temporal, then each host is a compose service', () => {
    const config = loadConfig({ ...environmentOf('worker'), NODE_ENV: 'production' });
    const hosts = [
      new URL(config.DATABASE_URL).hostname,
      new URL(config.REDIS_URL).hostname,
      new URL(config.AMQP_URL).hostname,
      config.TEMPORAL_ADDRESS.split(':')[0],
    ];

    expect(hosts).toEqual(['postgres', 'redis', 'rabbitmq', 'temporal']);
    for (const host of hosts) expect(services[host]).toBeDefined();
  });

  test('when api and worker start, then they wait for healthy infrastructure and finished one-shots', () => {
    for (const name of APP_SERVICES) {
      expect(dependencies(name)).toEqual({
        postgres: 'service_healthy',
        redis: 'service_healthy',
        rabbitmq: 'service_healthy',
        temporal: 'service_healthy',
        'temporal-search-attributes': 'service_completed_successfully',
        migrate: 'service_completed_successfully',
      });
    }
    expect(dependencies('migrate')).toEqual({ postgres: 'service_healthy' });
    expect(dependencies('temporal')).toEqual({ postgres: 'service_healthy' });
    expect(dependencies('nginx')).toEqual({ api: 'service_healthy', 'tls-dev-cert': 'service_completed_successfully' });
  });

  test('when a service waits on another, then that one exists and can report what it waits for', () => {
    for (const name of Object.keys(services)) {
      for (const [target, condition] of Object.entries(dependencies(name))) {
        expect(services[target]).toBeDefined();
        if (condition === 'service_completed_successfully') expect(service(target).restart).toBe('no');
      }
    }
  });

  test('when a service runs for long, then it has a healthcheck (compose, or the Dockerfile for built images)', () => {
    const dockerfileHasHealthcheck = /^HEALTHCHECK\s+(?!NONE)/m.test(dockerfile);
    const withoutHealthcheck = Object.keys(services)
      .filter((name) => !oneShots.has(name))
      .filter((name) => {
        const healthcheck = service(name).healthcheck;
        if (healthcheck?.disable) return true;
        if (healthcheck?.test) return false;
        return !(service(name).build && dockerfileHasHealthcheck);
      });

    expect([...oneShots].sort()).toEqual(['migrate', 'temporal-search-attributes', 'tls-dev-cert']);
    expect(withoutHealthcheck).toEqual([]);
  });

  test('when the api and worker are deployed, then each runs two replicas', () => {
    for (const name of APP_SERVICES) expect(service(name).deploy?.replicas).toBe(2);
  });

  test('when a file is bind-mounted, then it exists in the repository, for either nginx balancing config', () => {
    for (const env of [USER_ENV, { ...USER_ENV, NGINX_CONF: 'least-conn.conf' }]) {
      const missing = Object.values(load(env).services)
        .flatMap((each) => bindMounts(each).map((mount) => mount.source))
        // The data folder is made at run time (the development certificate), not kept in the repository.
        .filter((source) => !source.startsWith('./.data/'))
        .filter((source) => !existsSync(path.join(ROOT, source)));

      expect(missing).toEqual([]);
    }
    expect(mountOf('nginx', './deploy/nginx/nginx.conf')).toBe('/etc/nginx/nginx.conf');
  });
});

describe('Dockerfile', () => {
  const stages = [...dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)].map((m) => ({
    from: m[1],
    name: m[2],
  }));
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

  test('when the image is built, then every stage starts from a pinned image or an earlier stage', () => {
    const earlier = new Set<string>();
    for (const stage of stages) {
      expect(earlier.has(stage.from) || isPinned(stage.from)).toBe(true);
      if (stage.name) earlier.add(stage.name);
    }
    expect(stages[0].from).toMatch(/^node:20\.\d+\.\d+-bookworm-slim$/);
  });

  test('when the runtime stage runs, then it is production, non-root, and health-checked on /health', () => {
    expect(runtime).toMatch(/^ENV NODE_ENV=production$/m);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK [\s\S]*\/health/m);
    expect(dockerfile).toMatch(/^RUN .*npm ci --omit=dev/m);
    expect(runtime).toMatch(/^COPY --from=deps \/app\/node_modules /m);
    const cmd = /^CMD (\[.*\])$/m.exec(runtime)?.[1] ?? '[]';
    expect(JSON.parse(cmd)).toEqual(['node', ...NODE_FLAGS['src/api/main.ts'], 'dist/src/api/main.js']);
  });
});

interface AlertRule {
  alert: string;
  expr: string;
  labels: { severity?: string };
  annotations: { summary?: string };
}

function alertRules(): AlertRule[] {
  const file = parse(read('deploy/prometheus/alerts.yml')) as { groups: { rules: AlertRule[] }[] };
  return file.groups.flatMap((group) => group.rules);
}

/** What an API process exports: its registry, with the pool gauges (names only; nothing is collected). */
function apiMetricNames(): string[] {
  const metrics = createApiMetrics();
  observeClients(metrics.registry, { pool: {} as Pool, redis: {} as Redis });
  return metrics.registry.getMetricsAsArray().map((metric) => metric.name);
}

/** What the worker adds through the SDK's meter: counters are exported with `_total` (countersTotalSuffix). */
function workerMetricNames(): string[] {
  const sources = ['src/activities/reconciliation.ts', 'src/workers/purchase-worker.ts'].map(read).join('\n');
  return [...sources.matchAll(/\.create(Counter|Gauge)\(\s*'([a-z_]+)'/g)].map(([, kind, name]) =>
    kind === 'Counter' ? `${name}_total` : name,
  );
}

/** nginx directives without comments and blank lines. */
const nginxCode = (conf: string) => conf.replace(/^\s*#.*$/gm, '').replace(/\n\s*\n/g, '\n');

describe('deploy/ files the stack mounts', () => {
  const apiPort = Number(environmentOf('api').PORT);
  const workerMetricsPort = Number(environmentOf('worker').WORKER_METRICS_PORT);

  test('when nginx balances the api, then both configs reach every replica on the api port and stream SSE unbuffered', () => {
    const site = read('deploy/nginx/pulsecart.conf');
    const proxy = read('deploy/nginx/proxy.conf');
    const roundRobin = read('deploy/nginx/nginx.conf');
    const leastConn = read('deploy/nginx/least-conn.conf');
    const sse = /location \/api\/v1\/stock\/stream \{([^}]*)\}/.exec(proxy)?.[1] ?? '';

    for (const conf of [roundRobin, leastConn]) {
      expect(conf).toMatch(new RegExp(`^\\s*server api:${apiPort} resolve[ ;]`, 'm'));
      expect(conf).toMatch(/^\s*include pulsecart\.conf;/m);
    }
    expect(nginxCode(leastConn).replace(/^\s*least_conn;\n/m, '')).toBe(nginxCode(roundRobin));
    expect(nginxCode(site)).toMatch(/server \{\n\s*listen 443 ssl;\n\s*http2 on;\n/);
    expect(nginxCode(site)).toMatch(/\n\s*include tls\.conf;\n\s*include proxy\.conf;\n\}/);
    expect(mountOf('nginx', './deploy/nginx/pulsecart.conf')).toBe('/etc/nginx/pulsecart.conf');
    expect(mountOf('nginx', './deploy/nginx/tls.conf')).toBe('/etc/nginx/tls.conf');
    expect(mountOf('nginx', './.data/tls')).toBe('/etc/nginx/tls');
    expect(mountOf('tls-dev-cert', './.data/tls')).toBe('/tls');
    expect(mountOf('nginx', './deploy/nginx/proxy.conf')).toBe('/etc/nginx/proxy.conf');
    expect(sse).toMatch(/proxy_buffering off;/);
    expect(sse).toMatch(/proxy_read_timeout \d+h;/);
  });

  test('when tools/scale-out.sh runs nginx here, then its config is the compose one with local servers and site', () => {
    for (const conf of ['nginx.conf', 'least-conn.conf']) {
      const compose = read(`deploy/nginx/${conf}`);
      const local = execFileSync('bash', ['tools/scale-out.sh', 'config', '--apis', '2'], {
        cwd: ROOT,
        env: { ...process.env, NGINX_CONF: conf },
        encoding: 'utf8',
      });
      const [, parameters] = /server api:\d+ resolve([^;]*);/.exec(compose) ?? [];

      expect(
        local
          .replace(`server 127.0.0.1:3101${parameters};\n    server 127.0.0.1:3102${parameters};`, 'UPSTREAM')
          .replace(/include \S+\/site\.conf;/, 'SITE'),
      ).toBe(
        compose
          .replace(`server api:${apiPort} resolve${parameters};`, 'UPSTREAM')
          .replace('include pulsecart.conf;', 'SITE'),
      );
    }
  });

  test('when Prometheus scrapes, then it finds every api and worker replica on their metrics ports', () => {
    const config = parse(read('deploy/prometheus/prometheus.yml')) as {
      scrape_configs: {
        job_name: string;
        metrics_path?: string;
        dns_sd_configs?: { names: string[]; port: number }[];
      }[];
    };
    const job = (name: string) => config.scrape_configs.find((j) => j.job_name === name);

    expect(job('pulsecart-api')?.dns_sd_configs).toEqual([expect.objectContaining({ names: ['api'], port: apiPort })]);
    expect(job('pulsecart-worker')?.dns_sd_configs).toEqual([
      expect.objectContaining({ names: ['worker'], port: workerMetricsPort }),
    ]);
    expect(mountOf('prometheus', './deploy/prometheus/prometheus.yml')).toBe('/etc/prometheus/prometheus.yml');
  });

  test('when Grafana starts, then the PulseCart dashboard queries every PulseCart metric from the provisioned datasource', () => {
    const datasources = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: { uid: string; url: string }[];
    };
    const providers = parse(read('deploy/grafana/provisioning/dashboards/pulsecart.yml')) as {
      providers: { options: { path: string } }[];
    };
    const dashboard = JSON.parse(read('deploy/grafana/dashboards/pulsecart.json')) as {
      panels: { datasource: { uid: string }; targets: { expr: string }[] }[];
    };
    const expressions = dashboard.panels.flatMap((panel) => panel.targets.map((t) => t.expr)).join('\n');

    expect(datasources.datasources[0].url).toBe('http://prometheus:9090');
    expect(providers.providers[0].options.path).toBe(mountOf('grafana', './deploy/grafana/dashboards'));
    for (const panel of dashboard.panels) expect(panel.datasource.uid).toBe(datasources.datasources[0].uid);
    for (const quantile of ['0.5', '0.95', '0.99']) {
      expect(expressions).toContain(
        `histogram_quantile(${quantile}, sum by (le) (rate(http_request_duration_seconds_bucket`,
      );
    }
    expect(expressions).toMatch(/sum by \(status\) \(rate\(http_request_duration_seconds_count/);
    expect(expressions).toMatch(/sum by \(pattern, outcome\) \(rate\(pulsecart_purchases_total/);
    expect(expressions).toMatch(/sum by \(reason\) \(rate\(pulsecart_admission_rejections_total/);
    expect(expressions).toContain('pulsecart_workflows_started_total');
  });

  test('when Prometheus evaluates rules, then it loads alerts.yml, and each alert says how bad and what', () => {
    const config = parse(read('deploy/prometheus/prometheus.yml')) as { rule_files: string[] };
    const rules = alertRules();

    expect(config.rule_files).toEqual([mountOf('prometheus', './deploy/prometheus/alerts.yml')]);
    expect(rules.map((rule) => rule.alert).sort()).toEqual([
      'PulseCartHigh5xxRate',
      'PulseCartHighP99Latency',
      'PulseCartNoWorker',
      'PulseCartStockDeadLetters',
      'PulseCartStockDrift',
      'PulseCartWorkerDown',
    ]);
    for (const rule of rules) {
      expect(['warning', 'critical']).toContain(rule.labels.severity);
      expect(rule.annotations.summary).toBeTruthy();
    }
  });

  test('when the dashboard and the alerts query a PulseCart metric, then the API or the worker exports it', () => {
    const dashboard = JSON.parse(read('deploy/grafana/dashboards/pulsecart.json')) as {
      panels: { targets: { expr: string }[] }[];
    };
    const queries = [
      ...dashboard.panels.flatMap((panel) => panel.targets.map((t) => t.expr)),
      ...alertRules().map((rule) => rule.expr),
    ].join('\n');
    const queried = new Set(queries.match(/\b(?:pulsecart|http_request)_[a-z_]+/g));
    const exported = new Set([...apiMetricNames(), ...workerMetricNames()]);

    expect([...queried].filter((name) => !exported.has(name.replace(/_(bucket|count|sum)$/, '')))).toEqual([]);
    for (const name of [
      'pulsecart_db_pool_waiting_queries',
      'pulsecart_stock_publishes_total',
      'pulsecart_stock_drift',
    ])
      expect(queried).toContain(name);
  });

  test('when the compose Temporal Service starts, then it has the dev server dynamic config and search attributes', () => {
    const temporal = environmentOf('temporal');
    const dynamicConfig = parse(read('deploy/temporal/dynamicconfig.yaml')) as Record<string, { value: unknown }[]>;
    const values = Object.fromEntries(
      Object.entries(dynamicConfig).map(([key, [first]]) => [key, String(first.value)]),
    );

    expect(temporal.DB).toBe('postgres12');
    expect(temporal.DYNAMIC_CONFIG_FILE_PATH).toBe(mountOf('temporal', './deploy/temporal/dynamicconfig.yaml'));
    expect(values).toEqual(DYNAMIC_CONFIG);
    expect(environmentOf('temporal-search-attributes').SEARCH_ATTRIBUTES.split(' ')).toEqual(SEARCH_ATTRIBUTES);
    expect(service('temporal-search-attributes').command?.join('\n')).toContain('--type Keyword');
  });
});
