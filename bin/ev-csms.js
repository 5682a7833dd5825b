#!/usr/bin/env node
// dist/cli/ev-csms.js when it is up to date, else src/cli/ev-csms.ts through tsx: see load.js.
import { loadCli } from './load.js';

const { main } = await loadCli('ev-csms');
process.exitCode = await main(process.argv);
