#!/usr/bin/env node
// dist/cli/ev-sim.js when it is up to date, else src/cli/ev-sim.ts through tsx: see load.js.
import { loadCli } from './load.js';

const { main } = await loadCli('ev-sim');
process.exitCode = await main(process.argv);
