#!/usr/bin/env node
// Runs the TypeScript sources through tsx: no build step between a clone and a running simulator.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/ev-sim.ts');
process.exitCode = await main(process.argv);
