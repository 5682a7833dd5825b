/**
 * The deployment files say what the CSMS needs: docker-compose.yml runs two replicas with PostgreSQL
 * and RabbitMQ behind nginx, deploy/nginx.conf forwards WebSocket upgrades to the right ports, and
 * deploy/kubernetes/ probes the right endpoints and keeps credentials in a Secret. Parsed, not run:
 * neither Docker nor a cluster is needed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ENV_NAMES } from '../../src/csms/config.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const K8S = join(ROOT, 'deploy', 'kubernetes');
const read = (...path: string[]) => readFileSync(join(ROOT, ...path), 'utf8');

/** Every key must be a setting of config.ts. */
const KNOWN_SETTINGS = new Set(Object.values(ENV_NAMES));
const CREDENTIALS = ['DATABASE_URL', 'RABBITMQ_URL', 'JWT_SECRET', 'ADMIN_PASSWORD'];

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The ports the image exposes (Dockerfile EXPOSE): the HTTP port first, then OCPP. */
function exposedPorts(): number[] {
  const line = read('Dockerfile').split('\n').find((l) => /^EXPOSE\s/.test(l));
  return (line ?? '').replace(/^EXPOSE\s+/, '').split(/\s+/).filter(Boolean).map((p) => Number(p.replace(/\/tcp$/, '')));
}
const [HTTP_PORT, OCPP_PORT] = exposedPorts();

// ---------------------------------------------------------------------------------------------
// A small reader of nginx's configuration syntax: directives end with ";", blocks are "{ … }".

interface Directive {
  name: string;
  args: string[];
  block?: Directive[];
}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /#[^\n]*|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([{};])|([^\s{};"'#]+)/g;
  for (const m of text.matchAll(re)) {
    if (m[0].startsWith('#')) continue;
    tokens.push(m[1] ?? m[2] ?? m[3] ?? m[4] ?? '');
  }
  return tokens;
}

function parseNginx(text: string): Directive[] {
  const tokens = tokenize(text);
  let i = 0;
  function block(): Directive[] {
    const out: Directive[] = [];
    while (i < tokens.length && tokens[i] !== '}') {
      const words: string[] = [];
      while (i < tokens.length && tokens[i] !== ';' && tokens[i] !== '{' && tokens[i] !== '}') words.push(tokens[i++]);
      const [name, ...args] = words;
      if (tokens[i] === '{') {
        i++;
        out.push({ name, args, block: block() });
        if (tokens[i++] !== '}') throw new Error(`nginx: unclosed block ${name}`);
      } else if (tokens[i] === ';') {
        i++;
        out.push({ name, args });
      } else {
        throw new Error(`nginx: directive ${name} not ended with ";"`);
      }
    }
    return out;
  }
  const top = block();
  if (i !== tokens.length) throw new Error('nginx: unbalanced "}"');
  return top;
}

const all = (ds: Directive[] | undefined, name: string) => (ds ?? []).filter((d) => d.name === name);
const one = (ds: Directive[] | undefined, name: string) => all(ds, name)[0];

/** Header name -> value of a location's proxy_set_header lines, falling back to the enclosing blocks'. */
function headers(...levels: (Directive[] | undefined)[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const level of levels) {
    // nginx: a level with any proxy_set_header replaces the outer levels' ones entirely.
    const own = all(level, 'proxy_set_header');
    if (own.length > 0) {
      map.clear();
      for (const d of own) map.set(d.args[0].toLowerCase(), d.args[1]);
    }
  }
  return map;
}

function seconds(value: string | undefined): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(value ?? '');
  if (!m) return NaN;
  const n = Number(m[1]);
  return { ms: n / 1000, s: n, m: n * 60, h: n * 3600 }[m[2] ?? 's'] ?? NaN;
}

// ---------------------------------------------------------------------------------------------

describe('the image', () => {
  it('exposes the HTTP port and the OCPP port, the defaults of config.ts', () => {
    expect(exposedPorts()).toEqual([3000, 9000]);
  });
});

describe('docker-compose.yml (replicas, PostgreSQL, RabbitMQ, proxy)', () => {
  const compose = obj(parse(read('docker-compose.yml'), { merge: true }));
  const services = obj(compose.services);
  const env = (svc: unknown) => obj(obj(svc).environment);
  const csms = Object.entries(services).filter(([, s]) => obj(s).build !== undefined || /ev-csms/.test(String(obj(s).image ?? '')));

  it('runs two CSMS replicas, each on PostgreSQL and RabbitMQ, with one JWT secret and its own node id', () => {
    const replicas = csms.reduce((n, [, s]) => n + Number(obj(obj(s).deploy).replicas ?? 1), 0);
    expect(replicas).toBe(2);
    for (const [name, s] of csms) {
      const e = env(s);
      expect(String(e.DATABASE_URL), name).toMatch(/^postgres(ql)?:\/\/[^@]+@postgres:5432\/\S+$/);
      expect(String(e.RABBITMQ_URL), name).toMatch(/^amqps?:\/\/[^@]+@rabbitmq:5672/);
      expect(String(e.ENABLE_RABBITMQ), name).toBe('true');
      expect(String(e.JWT_SECRET), name).toMatch(/^\$\{JWT_SECRET[:?}]/);
      // A shared NODE_ID would make the replicas one node in the outbox's eyes.
      expect(e, name).not.toHaveProperty('NODE_ID');
      for (const key of Object.keys(e)) expect(KNOWN_SETTINGS, `${name}: ${key}`).toContain(key);
      const depends = obj(obj(s).depends_on);
      expect(obj(depends.postgres).condition, name).toBe('service_healthy');
      expect(obj(depends.rabbitmq).condition, name).toBe('service_healthy');
      // Reached through the proxy only.
      expect(obj(s).ports, name).toBeUndefined();
    }
  });

  it('runs PostgreSQL from the official image, on a volume, credentials from .env, checked with pg_isready', () => {
    const pg = obj(services.postgres);
    expect(String(pg.image)).toMatch(/^postgres:\d+/);
    expect(String(env(pg).POSTGRES_PASSWORD)).toMatch(/^\$\{POSTGRES_PASSWORD/);
    const volume = arr(pg.volumes).map(String).find((v) => v.endsWith(':/var/lib/postgresql/data'));
    expect(volume).toBeDefined();
    expect(obj(compose.volumes)).toHaveProperty(String(volume).split(':')[0]);
    expect(arr(obj(pg.healthcheck).test).join(' ')).toMatch(/pg_isready/);
    // The replicas' URL uses the same credentials as the server.
    const url = String(env(csms[0][1]).DATABASE_URL);
    expect(url).toContain(String(env(pg).POSTGRES_USER));
    expect(url).toContain(String(env(pg).POSTGRES_PASSWORD));
  });

  it('keeps RabbitMQ with its healthcheck and credentials from .env', () => {
    const rabbit = obj(services.rabbitmq);
    expect(String(rabbit.image)).toMatch(/^rabbitmq:3\.\d+/);
    expect(String(env(rabbit).RABBITMQ_DEFAULT_PASS)).toMatch(/^\$\{RABBITMQ_PASS/);
    expect(arr(obj(rabbit.healthcheck).test).join(' ')).toMatch(/rabbitmq-diagnostics/);
  });

  it('puts nginx in front with deploy/nginx.conf, whose upstreams are the replicas on the exposed ports', () => {
    const proxy = obj(services.proxy);
    expect(String(proxy.image)).toMatch(/^nginx:/);
    const mount = arr(proxy.volumes).map(String).find((v) => v.includes('/etc/nginx/nginx.conf'));
    expect(mount?.split(':')[0]).toBe('./deploy/nginx.conf');
    const http = obj(parseNginx(read('deploy', 'nginx.conf')).find((d) => d.name === 'http'));
    const upstreams = all(http.block as Directive[], 'upstream');
    const servers = upstreams.flatMap((u) => all(u.block, 'server').map((s) => s.args[0]));
    const names = csms.map(([name]) => name);
    for (const server of servers) {
      const [host, port] = server.split(':');
      expect(names).toContain(host);
      expect([HTTP_PORT, OCPP_PORT]).toContain(Number(port));
    }
    // Every replica is in every upstream.
    for (const u of upstreams) expect(all(u.block, 'server').map((s) => s.args[0].split(':')[0]).sort()).toEqual([...names].sort());
  });

  it('leaves every credential to the environment', () => {
    const text = read('docker-compose.yml');
    // A key ending in PASSWORD or SECRET whose value is not a ${VARIABLE} from the environment.
    expect(text).not.toMatch(/^\s*[A-Z_]*(PASSWORD|SECRET):[ \t]*(?!\$\{)\S/m);
    expect(text).toMatch(/^\s*JWT_SECRET: \$\{JWT_SECRET/m);
  });
});

describe('deploy/nginx.conf', () => {
  const top = parseNginx(read('deploy', 'nginx.conf'));
  const http = one(top, 'http');
  const upstream = (name: string) => all(http.block, 'upstream').find((u) => u.args[0] === name);
  const portsOf = (pass: string) => {
    const u = upstream(pass.replace(/^https?:\/\//, ''));
    expect(u, pass).toBeDefined();
    return new Set(all(u?.block, 'server').map((s) => Number(s.args[0].split(':')[1])));
  };
  const servers = all(http.block, 'server');
  const locations = servers.flatMap((server) => all(server.block, 'location').map((location) => ({ server, location, path: location.args.at(-1) })));
  const upgradeMap = all(http.block, 'map').find((m) => m.args[0] === '$http_upgrade');

  function expectUpgrade(path: string) {
    const found = locations.filter((l) => l.path === path);
    expect(found.length, path).toBeGreaterThan(0);
    for (const { server, location } of found) {
      const h = headers(http.block, server.block, location.block);
      expect(h.get('upgrade'), path).toBe('$http_upgrade');
      const connection = h.get('connection') ?? '';
      if (connection.startsWith('$')) {
        // The map turns any Upgrade value into "upgrade".
        expect(upgradeMap?.args[1], path).toBe(connection);
        expect(one(upgradeMap?.block, 'default')?.args[0], path).toBe('upgrade');
      } else {
        expect(connection.toLowerCase(), path).toBe('upgrade');
      }
      const version = one(location.block, 'proxy_http_version') ?? one(server.block, 'proxy_http_version') ?? one(http.block, 'proxy_http_version');
      expect(version?.args[0], path).toBe('1.1');
    }
    return found;
  }

  it('forwards OCPP WebSocket upgrades at /ocpp/ to the OCPP port, with an idle limit over an hour', () => {
    for (const { location } of expectUpgrade('/ocpp/')) {
      expect([...portsOf(one(location.block, 'proxy_pass').args[0])]).toEqual([OCPP_PORT]);
      expect(seconds(one(location.block, 'proxy_read_timeout')?.args[0])).toBeGreaterThanOrEqual(3600);
      expect(seconds(one(location.block, 'proxy_send_timeout')?.args[0])).toBeGreaterThanOrEqual(3600);
    }
    // Chargers reach OCPP through the published OCPP port too.
    expect(locations.filter((l) => l.path === '/ocpp/').flatMap((l) => all(l.server.block, 'listen').map((d) => d.args[0]))).toContain(String(OCPP_PORT));
  });

  it('forwards Socket.io upgrades at /socket.io/ to the HTTP port, sticky for long-polling', () => {
    for (const { location } of expectUpgrade('/socket.io/')) {
      const pass = one(location.block, 'proxy_pass').args[0];
      expect([...portsOf(pass)]).toEqual([HTTP_PORT]);
      const u = upstream(pass.replace(/^https?:\/\//, ''));
      expect(u?.block?.some((d) => d.name === 'ip_hash' || d.name === 'sticky' || (d.name === 'hash' && d.args[0] === '$remote_addr'))).toBe(true);
    }
  });

  it('sends everything else to the HTTP port with the client\'s Host (Origin checks, payment return URLs)', () => {
    const rest = locations.filter((l) => l.path === '/' && one(l.location.block, 'proxy_pass'));
    expect(rest.length).toBe(1);
    expect([...portsOf(one(rest[0].location.block, 'proxy_pass').args[0])]).toEqual([HTTP_PORT]);
    for (const { server, location } of [...rest, ...locations.filter((l) => l.path === '/socket.io/')]) {
      expect(headers(http.block, server.block, location.block).get('host')).toBe('$http_host');
    }
  });

  it('reads a broken configuration as broken (the reader itself)', () => {
    expect(() => parseNginx('http { server { listen 80 }')).toThrow(/not ended|unclosed/);
    expect(() => parseNginx('a b; }')).toThrow(/unbalanced/);
    expect(headers([{ name: 'proxy_set_header', args: ['Host', '$host'] }], [{ name: 'proxy_set_header', args: ['Upgrade', 'x'] }]).has('host')).toBe(false);
  });
});

describe('docker-compose.single.yml (one node, SQLite, RabbitMQ)', () => {
  const services = obj(obj(parse(read('docker-compose.single.yml'), { merge: true })).services);
  const csms = obj(services.csms);

  it('runs one CSMS on a SQLite file with RabbitMQ, publishing the exposed ports', () => {
    expect(Object.keys(services).sort()).toEqual(['csms', 'rabbitmq']);
    const e = obj(csms.environment);
    expect(e).not.toHaveProperty('DATABASE_URL');
    expect(String(e.DB_PATH)).toMatch(/\.db$/);
    expect(String(e.ENABLE_RABBITMQ)).toBe('true');
    for (const key of Object.keys(e)) expect(KNOWN_SETTINGS, key).toContain(key);
    const published = arr(csms.ports).map((p) => Number(String(p).split(':').at(-1)));
    expect(published.sort()).toEqual([HTTP_PORT, OCPP_PORT].sort());
  });
});

describe('deploy/kubernetes', () => {
  const kustomization = obj(parse(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8')));
  const files = arr(kustomization.resources).map(String);
  const docs = files.flatMap((file) => {
    const path = join(K8S, file);
    expect(existsSync(path), file).toBe(true);
    return parseAllDocuments(readFileSync(path, 'utf8')).map((d) => {
      expect(d.errors, file).toEqual([]);
      return { file, doc: obj(d.toJS()) };
    });
  });
  const ofKind = (kind: string) => docs.filter((d) => d.doc.kind === kind).map((d) => d.doc);
  const deployment = ofKind('Deployment')[0];
  const pod = obj(obj(obj(deployment.spec).template).spec);
  const podLabels = obj(obj(obj(obj(deployment.spec).template).metadata).labels);
  const container = obj(arr(pod.containers)[0]);
  const containerPorts = arr(container.ports).map(obj);
  /** A port given by name or number, as the container's port number. */
  const containerPort = (port: unknown) => Number(typeof port === 'string' ? containerPorts.find((p) => p.name === port)?.containerPort : port);
  const matches = (selector: Obj) => Object.entries(selector).every(([k, v]) => podLabels[k] === v);
  const configMap = obj(ofKind('ConfigMap')[0]);
  const generated = arr(kustomization.secretGenerator).map(obj);
  const secretNames = new Set([...generated.map((g) => String(g.name)), ...ofKind('Secret').map((s) => String(obj(s.metadata).name))]);

  it('lists only files that exist and parse, and holds the kinds a deployment needs', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const kind of ['Deployment', 'Service', 'ConfigMap', 'PodDisruptionBudget', 'Ingress']) expect(ofKind(kind).length, kind).toBeGreaterThan(0);
  });

  it('runs two replicas of the image named in kustomization.yaml, on the ports the Dockerfile exposes', () => {
    expect(obj(deployment.spec).replicas).toBe(2);
    const images = arr(kustomization.images).map((i) => String(obj(i).name));
    expect(images).toContain(String(container.image).split(':')[0]);
    expect(containerPorts.map((p) => Number(p.containerPort)).sort()).toEqual([HTTP_PORT, OCPP_PORT].sort());
    expect(matches(obj(obj(obj(deployment.spec).selector).matchLabels))).toBe(true);
  });

  it('probes readiness at /ready and liveness at /health, on the HTTP port', () => {
    const probe = (name: string) => obj(obj(container[name]).httpGet);
    expect(probe('readinessProbe').path).toBe('/ready?degraded=ok');
    expect(containerPort(probe('readinessProbe').port)).toBe(HTTP_PORT);
    expect(probe('livenessProbe').path).toBe('/health');
    expect(containerPort(probe('livenessProbe').port)).toBe(HTTP_PORT);
    if (container.startupProbe) expect(probe('startupProbe').path).toBe('/health');
  });

  it('takes every credential from a Secret, never from a value written in a manifest', () => {
    const env = arr(container.env).map(obj);
    for (const name of CREDENTIALS) {
      const entry = env.find((e) => e.name === name);
      expect(entry, name).toBeDefined();
      expect(entry, name).not.toHaveProperty('value');
      const ref = obj(obj(entry?.valueFrom).secretKeyRef);
      expect(secretNames, name).toContain(String(ref.name));
      expect(ref.key, name).toBe(name);
    }
    for (const e of env) if (/PASSWORD|SECRET|_URL$/.test(String(e.name))) expect(e, String(e.name)).not.toHaveProperty('value');
    // Nothing secret in the ConfigMap, and no Secret with its data written out.
    for (const key of Object.keys(obj(configMap.data))) expect(key).not.toMatch(/PASSWORD|SECRET|DATABASE_URL|RABBITMQ_URL/);
    for (const value of Object.values(obj(configMap.data))) expect(String(value)).not.toMatch(/:\/\/[^/\s]*:[^/\s]*@/);
    for (const secret of ofKind('Secret')) expect(Object.keys(obj(secret.data)).length + Object.keys(obj(secret.stringData)).length).toBe(0);
    // The generator reads a file kept out of git; its example names exactly the keys the pods read.
    for (const g of generated) {
      for (const file of arr(g.envs).map(String)) {
        expect(read('.gitignore').split('\n')).toContain(`deploy/kubernetes/${file}`);
        const example = readFileSync(join(K8S, `${file}.example`), 'utf8');
        const keys = example.split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => l.split('=')[0]);
        expect(keys.sort()).toEqual([...CREDENTIALS].sort());
      }
    }
  });

  it('takes the rest from a ConfigMap of real settings, with RabbitMQ on and no shared node id', () => {
    const data = obj(configMap.data);
    const refs = arr(container.envFrom).map((e) => String(obj(obj(e).configMapRef).name));
    expect(refs).toContain(String(obj(configMap.metadata).name));
    for (const key of Object.keys(data)) expect(KNOWN_SETTINGS, key).toContain(key);
    expect(data.ENABLE_RABBITMQ).toBe('true');
    expect(data).not.toHaveProperty('NODE_ID');
    if (data.PORT !== undefined) expect(Number(data.PORT)).toBe(HTTP_PORT);
    if (data.OCPP_PORT !== undefined) expect(Number(data.OCPP_PORT)).toBe(OCPP_PORT);
  });

  it('sets resources and keeps one replica through voluntary disruptions', () => {
    const resources = obj(container.resources);
    expect(obj(resources.requests)).toHaveProperty('cpu');
    expect(obj(resources.requests)).toHaveProperty('memory');
    expect(obj(resources.limits)).toHaveProperty('memory');
    const pdb = obj(ofKind('PodDisruptionBudget')[0].spec);
    expect(matches(obj(obj(pdb.selector).matchLabels))).toBe(true);
    const keep = pdb.minAvailable !== undefined ? Number(pdb.minAvailable) : 2 - Number(pdb.maxUnavailable);
    expect(keep).toBeGreaterThanOrEqual(1);
    expect(keep).toBeLessThan(2);
  });

  it('has Services for the HTTP and OCPP ports that select the pods', () => {
    const targets = ofKind('Service').flatMap((s) => {
      expect(matches(obj(obj(s.spec).selector)), String(obj(s.metadata).name)).toBe(true);
      return arr(obj(s.spec).ports).map((p) => containerPort(obj(p).targetPort ?? obj(p).port));
    });
    expect(targets).toContain(HTTP_PORT);
    expect(targets).toContain(OCPP_PORT);
  });

  it('routes /ocpp/ to the OCPP port with long timeouts, /socket.io/ and the rest to the HTTP port', () => {
    const services = new Map(ofKind('Service').map((s) => [String(obj(s.metadata).name), s]));
    const routes = ofKind('Ingress').flatMap((ing) => {
      const annotations = obj(obj(ing.metadata).annotations);
      expect(obj(ing.spec).ingressClassName).toBe('nginx');
      return arr(obj(ing.spec).rules).flatMap((r) => arr(obj(obj(r).http).paths).map((p) => {
        const backend = obj(obj(obj(p).backend).service);
        const svc = obj(services.get(String(backend.name)));
        const port = obj(backend.port);
        const svcPort = obj(arr(obj(svc.spec).ports).map(obj).find((sp) => sp.name === port.name || sp.port === port.number));
        return { path: String(obj(p).path), port: containerPort(svcPort.targetPort ?? svcPort.port), annotations };
      }));
    });
    const route = (path: string) => routes.find((r) => r.path === path);
    expect(route('/ocpp/')?.port).toBe(OCPP_PORT);
    expect(route('/socket.io/')?.port).toBe(HTTP_PORT);
    expect(route('/')?.port).toBe(HTTP_PORT);
    const ocpp = obj(route('/ocpp/')?.annotations);
    expect(Number(ocpp['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(3600);
    expect(Number(ocpp['nginx.ingress.kubernetes.io/proxy-send-timeout'])).toBeGreaterThanOrEqual(3600);
    // Socket.io's pings (25 s) fit in its idle limit.
    expect(Number(obj(route('/socket.io/')?.annotations)['nginx.ingress.kubernetes.io/proxy-read-timeout'] ?? 60)).toBeGreaterThan(25);
  });
});
