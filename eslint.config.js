// ESLint: typescript-eslint's recommended rules (syntax only, no type information: the whole repository
// lints in about 10 s of CPU) and the layer rules of the README ("Lint and layer rules"). Each layer rule's message
// starts with its name in brackets; test/lint/layers.test.ts proves that each one catches a violation.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const root = import.meta.dirname;

/** The CSMS's adapters: each imports the domain (and src/ocpp), never another adapter. */
const ADAPTERS = ['api', 'broker', 'gateway', 'notifier', 'processor', 'store', 'payments', 'web'];
const adapterDir = (name) => `src/csms/${name}`;

/** The modules that may read process.env: the CSMS's and the simulator's configuration. */
const CONFIG_MODULES = ['src/csms/config.ts', 'src/simulator/config.ts'];

/** Layer rules as import-x `no-restricted-paths` zones (paths relative to the repository root). */
const zones = [
  {
    target: 'src/ocpp',
    from: ['src/csms', 'src/simulator', 'src/cli', 'bin'],
    message: '[layers/ocpp] src/ocpp is shared by the CSMS and the simulator and imports neither (nor the CLI).',
  },
  {
    target: 'src/csms/domain',
    from: 'src/csms',
    except: ['./domain'],
    message: '[layers/domain] the domain imports only the domain and src/ocpp: adapters, config and server.ts pass it what it needs.',
  },
  {
    target: 'src/csms/domain',
    from: ['src/simulator', 'src/cli', 'bin'],
    message: '[layers/domain] the domain imports only the domain and src/ocpp.',
  },
  ...ADAPTERS.map((name) => ({
    target: adapterDir(name),
    from: [...ADAPTERS.filter((other) => other !== name).map(adapterDir), 'src/csms/server.ts', 'src/csms/demo.ts', 'src/simulator', 'src/cli', 'bin'],
    message: `[layers/adapters] an adapter (${name}) imports the domain, src/ocpp and the config, never another adapter: server.ts wires them together.`,
  })),
  {
    // Every CSMS module outside the domain and the adapters, but server.ts: the files beside server.ts and
    // any folder of src/csms not classified above (test/lint/layers.test.ts makes every folder be classified).
    target: ['src/csms/!(server).ts', `src/csms/!(${['domain', ...ADAPTERS].join('|')})/**`],
    from: ['src/csms/{' + ADAPTERS.join(',') + '}/**'],
    message: '[layers/server-wires] only src/csms/server.ts wires adapters: take what you need as an argument, or add it to createCsms.',
  },
  {
    // The CLI runs the CSMS through src/csms/server.ts (createCsms, openDeadLetterQueue), never an adapter.
    target: ['src/cli', 'bin'],
    from: ADAPTERS.map(adapterDir),
    message: '[layers/server-wires] only src/csms/server.ts wires adapters: the CLI goes through createCsms (src/csms/server.ts).',
  },
  {
    target: 'src/simulator',
    from: ['src/cli', 'bin'],
    message: '[layers/simulator] the simulator is a library the CLI drives: it never imports the CLI.',
  },
  {
    // Room names are part of the CSMS's public Socket.io contract: the simulator joins them with the
    // CSMS's own builders (domain/notification-routing.ts imports only the domain's charge-point-id.ts and types).
    target: 'src/simulator',
    from: 'src/csms',
    except: ['./server.ts', './config.ts', './domain/notification-routing.ts'],
    message: '[layers/simulator] the simulator reaches the CSMS over the network or through createCsms (src/csms/server.ts and its config), and names rooms with domain/notification-routing.ts; not other internals.',
  },
];

const ENV_MESSAGE = '[layers/env] only the config modules (src/csms/config.ts, src/simulator/config.ts) read the environment: take the value as an argument or from the config.';
const ENV_IMPORTS = ['node:process', 'process'].map((name) => ({ name, importNames: ['env'], message: ENV_MESSAGE }));
/** The way round `process.env` that no-restricted-properties does not see (it does see `process['env']`): `globalThis.process`. */
const ENV_SYNTAX = [
  { selector: "MemberExpression[object.name=/^(globalThis|global)$/][property.name='process']", message: ENV_MESSAGE },
  { selector: "MemberExpression[object.name=/^(globalThis|global)$/][computed=true][property.value='process']", message: ENV_MESSAGE },
];

export default defineConfig(
  { ignores: ['node_modules/', 'dist/', 'coverage/', 'reports/', 'test-artifacts/', 'artifacts/', 'tmp/', 'data/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Unused arguments and caught errors are common in callbacks and handlers; `_`-prefixed names are intended.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // Off: about 140 uses, most in tests reading JSON bodies; strict tsc already refuses implicit any.
      '@typescript-eslint/no-explicit-any': 'off',
      // Off: it flags a safe initial value before try/catch and a test's unread intermediate results; no bug found.
      'no-useless-assignment': 'off',
    },
  },
  {
    files: ['src/csms/web/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['src/**/*.{ts,tsx}', 'bin/**/*.js'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.js'] })] },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: root, zones }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: ENV_MESSAGE }],
      'no-restricted-imports': ['error', { paths: ENV_IMPORTS }],
      'no-restricted-syntax': ['error', ...ENV_SYNTAX],
    },
  },
  {
    // Replaces the block above's no-restricted-imports for the domain (flat config does not merge a rule's options).
    files: ['src/csms/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ENV_IMPORTS,
        patterns: [{
          // node:crypto stays allowed: hashing secrets and making ids is computation, not I/O (domain/secrets.ts).
          group: [
            'ws', 'amqplib', 'fastify', '@fastify/*', 'socket.io', 'socket.io-client', 'better-sqlite3', 'pino',
            'node:fs', 'node:fs/*', 'fs', 'fs/*', 'node:http', 'node:https', 'http', 'https', 'node:net', 'net',
            'node:child_process', 'child_process', 'ink', 'react', 'commander',
          ],
          message: '[layers/domain] the domain is pure: it gets sockets, brokers, HTTP servers, databases, files, processes, loggers and the terminal as arguments (domain/ports.ts).',
        }],
      }],
    },
  },
  {
    files: CONFIG_MODULES,
    rules: { 'no-restricted-properties': 'off', 'no-restricted-imports': 'off', 'no-restricted-syntax': 'off' },
  },
);
