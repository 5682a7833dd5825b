/**
 * The layer rules of eslint.config.js: each one reports a violation placed where it guards (sources
 * linted in memory under a path of the repository; the files need not exist, what they import does),
 * lets the allowed imports through, and the repository itself has none.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: ROOT });

/** The messages of linting `code` as the file `filePath` (relative to the repository). */
async function lint(filePath: string, code: string): Promise<{ ruleId: string | null; message: string }[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}${filePath}` });
  return result!.messages.map(({ ruleId, message }) => ({ ruleId, message }));
}

/** The layer rules that `code` at `filePath` breaks, by the tag their messages start with. */
async function layerErrors(filePath: string, code: string): Promise<string[]> {
  return (await lint(filePath, code)).flatMap(({ message }) => message.match(/\[layers\/[a-z-]+\]/g) ?? []);
}

describe('layers/ocpp: src/ocpp imports nothing of the CSMS, the simulator or the CLI', () => {
  it('reports an import of the CSMS and of the simulator', async () => {
    const code = "import { CsmsError } from '../csms/domain/errors.ts';\nimport { startTarget } from '../simulator/target.ts';\nexport { CsmsError, startTarget };\n";
    expect(await layerErrors('src/ocpp/fixture.ts', code)).toEqual(['[layers/ocpp]', '[layers/ocpp]']);
  });

  it('lets src/ocpp import itself', async () => {
    expect(await layerErrors('src/ocpp/fixture.ts', "export { MessageType } from './frames.ts';\n")).toEqual([]);
  });
});

describe('layers/domain: the domain imports only the domain and src/ocpp', () => {
  it('reports an adapter, the config, server.ts, the simulator and a driver package', async () => {
    const code = [
      "import { createSqliteStore } from '../store/index.ts';",
      "import { loadConfig } from '../config.ts';",
      "import type { Csms } from '../server.ts';",
      "import type { RunningTarget } from '../../simulator/target.ts';",
      "import { WebSocket } from 'ws';",
      'export { createSqliteStore, loadConfig, WebSocket };',
      'export type { Csms, RunningTarget };',
      '',
    ].join('\n');
    expect(await layerErrors('src/csms/domain/fixture.ts', code)).toEqual(Array(5).fill('[layers/domain]'));
  });

  it('reports the file system, processes, the network and the terminal', async () => {
    const code = [
      "import { readFileSync } from 'node:fs';",
      "import { readFile } from 'node:fs/promises';",
      "import { spawn } from 'node:child_process';",
      "import { createServer } from 'node:http';",
      "import { Command } from 'commander';",
      'export { readFileSync, readFile, spawn, createServer, Command };',
      '',
    ].join('\n');
    expect(await layerErrors('src/csms/domain/fixture.ts', code)).toEqual(Array(5).fill('[layers/domain]'));
  });

  it('lets the domain hash with node:crypto (computation, not I/O)', async () => {
    expect(await layerErrors('src/csms/domain/fixture.ts', "export { createHmac } from 'node:crypto';\n")).toEqual([]);
  });

  it('lets the domain import the domain and src/ocpp', async () => {
    const code = "export { CsmsError } from './errors.ts';\nexport { MessageType } from '../../ocpp/frames.ts';\n";
    expect(await layerErrors('src/csms/domain/fixture.ts', code)).toEqual([]);
  });
});

describe('layers/adapters: an adapter imports the domain, src/ocpp and the config, never another adapter', () => {
  it('reports one adapter importing another, and an adapter importing server.ts', async () => {
    const code = "import { createSqliteStore } from '../store/index.ts';\nimport type { Csms } from '../server.ts';\nexport { createSqliteStore };\nexport type { Csms };\n";
    expect(await layerErrors('src/csms/processor/fixture.ts', code)).toEqual(['[layers/adapters]', '[layers/adapters]']);
    const nested = "import { createMemoryBroker } from '../../broker/memory.ts';\nexport { createMemoryBroker };\n";
    expect(await layerErrors('src/csms/api/routes/fixture.ts', nested)).toEqual(['[layers/adapters]']);
  });

  it('lets an adapter import its own files, the domain, src/ocpp and the config', async () => {
    const code = "export { createProcessor } from './processor.ts';\nexport { CsmsError } from '../domain/errors.ts';\nexport { MessageType } from '../../ocpp/frames.ts';\nexport type { CsmsConfig } from '../config.ts';\n";
    expect(await layerErrors('src/csms/processor/fixture.ts', code)).toEqual([]);
  });
});

describe('layers/server-wires: only src/csms/server.ts wires adapters', () => {
  it('reports a module beside server.ts and a CLI command importing an adapter', async () => {
    expect(await layerErrors('src/csms/fixture.ts', "export { createSqliteStore } from './store/index.ts';\n")).toEqual(['[layers/server-wires]']);
    expect(await layerErrors('src/cli/fixture.ts', "export { createGateway } from '../csms/gateway/gateway.ts';\n")).toEqual(['[layers/server-wires]']);
  });

  it('reports a module in a new folder of src/csms importing adapters', async () => {
    const code = "import { createSqliteStore } from '../store/index.ts';\nimport { createGateway } from '../gateway/gateway.ts';\nexport { createSqliteStore, createGateway };\n";
    expect(await layerErrors('src/csms/jobs/x.ts', code)).toEqual(['[layers/server-wires]', '[layers/server-wires]']);
    expect(await layerErrors('src/csms/jobs/nested/x.ts', "export { createSqliteStore } from '../../store/index.ts';\n")).toEqual(['[layers/server-wires]']);
  });

  it('reports the CLI reaching the RabbitMQ broker itself, even for the dead letters', async () => {
    const code = "export { listDeadLetters } from '../csms/broker/rabbitmq/dead-letters.ts';\n";
    expect(await layerErrors('src/cli/dlq.ts', code)).toEqual(['[layers/server-wires]']);
    expect(await layerErrors('src/cli/fixture.ts', code)).toEqual(['[layers/server-wires]']);
  });

  it('classifies every folder of src/csms: the domain or an adapter (each with its own rule)', async () => {
    const config = await eslint.calculateConfigForFile(`${ROOT}src/csms/server.ts`);
    const [, { zones }] = config.rules['import-x/no-restricted-paths'] as [unknown, { zones: { target: string | string[]; message: string }[] }];
    const adapters = zones
      .filter((z) => z.message.startsWith('[layers/adapters]'))
      .map((z) => String(z.target).replace(/^src\/csms\//, ''));
    expect(adapters.length).toBeGreaterThan(5);
    const folders = readdirSync(`${ROOT}src/csms`, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    expect(folders.filter((name) => name !== 'domain' && !adapters.includes(name))).toEqual([]);
  });

  it('lets server.ts import the adapters, and the CLI go through createCsms', async () => {
    const code = "export { createSqliteStore } from './store/index.ts';\nexport { createGateway } from './gateway/gateway.ts';\nexport { createApi } from './api/app.ts';\n";
    expect(await layerErrors('src/csms/server.ts', code)).toEqual([]);
    expect(await layerErrors('src/cli/fixture.ts', "export { createCsms, openDeadLetterQueue } from '../csms/server.ts';\n")).toEqual([]);
  });
});

describe('layers/simulator: the simulator reaches the CSMS over the network or through createCsms', () => {
  it('reports an import of the CSMS internals', async () => {
    const code = "import { deleteNamespace } from '../csms/broker/rabbitmq/topology.ts';\nimport { CsmsError } from '../csms/domain/errors.ts';\nexport { deleteNamespace, CsmsError };\n";
    expect(await layerErrors('src/simulator/fixture.ts', code)).toEqual(['[layers/simulator]', '[layers/simulator]']);
    const domain = "export { CHARGE_POINT_ID_MAX_LENGTH } from '../csms/domain/charge-point-id.ts';\nexport { roomKind } from '../csms/domain/notifications.ts';\n";
    expect(await layerErrors('src/simulator/fixture.ts', domain)).toEqual(['[layers/simulator]', '[layers/simulator]']);
  });

  it('reports an import of the CLI', async () => {
    expect(await layerErrors('src/simulator/fixture.ts', "export { main } from '../cli/ev-sim.ts';\n")).toEqual(['[layers/simulator]']);
  });

  it('lets it name rooms with the CSMS\'s builders (domain/notification-routing.ts, the Socket.io contract)', async () => {
    expect(await layerErrors('src/simulator/fixture.ts', "export { CMS_ROOMS, customerRoom } from '../csms/domain/notification-routing.ts';\n")).toEqual([]);
  });

  it('lets it import createCsms, the CSMS config and src/ocpp', async () => {
    const code = "export { createCsms } from '../csms/server.ts';\nexport { loadConfig } from '../csms/config.ts';\nexport { MessageType } from '../ocpp/frames.ts';\n";
    expect(await layerErrors('src/simulator/fixture.ts', code)).toEqual([]);
  });
});

describe('layers/env: only the config modules read the environment', () => {
  it('reports process.env, its destructuring and an import of env, anywhere else under src/ and bin/', async () => {
    const code = "import { env } from 'node:process';\nconst { env: e } = process;\nexport const ci = process.env.CI ?? env.CI ?? e.CI;\n";
    expect(await layerErrors('src/csms/gateway/fixture.ts', code)).toEqual(Array(3).fill('[layers/env]'));
    expect(await layerErrors('src/csms/domain/fixture.ts', code)).toEqual(Array(3).fill('[layers/env]'));
    expect(await layerErrors('bin/fixture.js', 'export const ci = process.env.CI;\n')).toEqual(['[layers/env]']);
  });

  it('reports process.env reached through globalThis or by a computed name', async () => {
    const code = "export const a = globalThis.process.env.CI;\nexport const b = globalThis['process'].env.CI;\nexport const c = process['env'].CI;\n";
    expect(await layerErrors('src/simulator/fixture.ts', code)).toEqual(Array(3).fill('[layers/env]'));
  });

  it('lets src/csms/config.ts and src/simulator/config.ts read it', async () => {
    const code = 'export const ci = process.env.CI;\n';
    expect(await layerErrors('src/csms/config.ts', code)).toEqual([]);
    expect(await layerErrors('src/simulator/config.ts', code)).toEqual([]);
  });
});

describe('the repository', () => {
  it('breaks none of the layer rules', { timeout: 120_000 }, async () => {
    const layerRules = new Set(['import-x/no-restricted-paths', 'no-restricted-imports', 'no-restricted-properties']);
    const layers = new ESLint({ cwd: ROOT, ruleFilter: ({ ruleId }) => layerRules.has(ruleId) });
    const results = await layers.lintFiles(['src', 'bin']);
    const problems = results.flatMap((r) => r.messages.map((m) => `${r.filePath.slice(ROOT.length)}:${m.line} ${m.message}`));
    expect(problems).toEqual([]);
    // It did lint the sources: the CSMS, the simulator and src/ocpp are all there.
    const files = results.map((r) => r.filePath.slice(ROOT.length));
    expect(files).toEqual(expect.arrayContaining(['src/csms/server.ts', 'src/simulator/target.ts', 'src/ocpp/frames.ts']));
  });
});
