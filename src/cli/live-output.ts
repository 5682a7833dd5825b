/**
 * What a running scenario shows: the ink dashboard on a terminal, otherwise (CI, pipes) one plain
 * progress line every 10 s of run time.
 */
import { render, type Instance } from 'ink';
import { createElement } from 'react';
import { createRateWindow, formatProgressLine } from '../simulator/report/index.ts';
import type { MetricsSnapshot } from '../simulator/types.ts';
import { Dashboard } from './views/Dashboard.tsx';
import { LiveDashboard, type LiveState } from './views/LiveDashboard.tsx';
import { createFeed } from './views/use-throttled-feed.ts';

export interface LiveOutput {
  readonly mode: 'dashboard' | 'lines';
  snapshot(s: MetricsSnapshot): void;
  log(line: string): void;
  /** The user asked to stop: say the run is winding down. */
  aborting(): void;
  /** Unmounts the dashboard (its last frame stays on screen). */
  close(): void;
}

export const PROGRESS_EVERY_S = 10;
const LOG_LINES_KEPT = 50;

export interface LiveOutputOptions {
  stream: NodeJS.WriteStream;
  dashboard: boolean;
  scenario: string;
  durationS?: number;
  /** Where log lines go in line mode (they would tear the dashboard otherwise). */
  logStream?: NodeJS.WriteStream;
}

/** The ink dashboard if asked for and `stream` is a terminal, else progress lines. */
export function createLiveOutput(opts: LiveOutputOptions): LiveOutput {
  const useDashboard = opts.dashboard && opts.stream.isTTY === true;
  return useDashboard ? dashboardOutput(opts) : lineOutput(opts);
}

function dashboardOutput(opts: LiveOutputOptions): LiveOutput {
  const state: LiveState = { snapshot: null, log: [], aborting: false };
  const feed = createFeed<LiveState>(state);
  const push = (patch: Partial<LiveState>) => {
    Object.assign(state, patch);
    feed.push({ ...state });
  };
  // Ctrl-C stays a signal (we never put stdin in raw mode), so the runner can abort gracefully.
  const instance: Instance = render(createElement(LiveDashboard, { feed, scenario: opts.scenario, durationS: opts.durationS }), {
    stdout: opts.stream,
    exitOnCtrlC: false,
    maxFps: 4,
  });
  return {
    mode: 'dashboard',
    snapshot: (snapshot) => push({ snapshot }),
    log: (line) => push({ log: [...state.log, line].slice(-LOG_LINES_KEPT) }),
    aborting: () => push({ aborting: true }),
    close() {
      // The throttled view may hold back the latest state: the final frame shows it for sure.
      instance.rerender(createElement(Dashboard, { scenario: opts.scenario, durationS: opts.durationS, ...state }));
      instance.unmount();
    },
  };
}

function lineOutput(opts: LiveOutputOptions): LiveOutput {
  let printedSlot = 0;
  let last: MetricsSnapshot | null = null;
  let lastPrinted: MetricsSnapshot | null = null;
  const rates = createRateWindow();
  const logStream = opts.logStream ?? opts.stream;
  return {
    mode: 'lines',
    snapshot(s) {
      last = s;
      rates.add(s);
      const slot = Math.floor(s.elapsedS / PROGRESS_EVERY_S);
      if (slot > printedSlot) {
        printedSlot = slot;
        lastPrinted = s;
        opts.stream.write(`${formatProgressLine(s, rates.take())}\n`);
      }
    },
    log: (line) => logStream.write(`${line}\n`),
    aborting: () => logStream.write('stopping: finishing the run and writing reports (Ctrl-C again to quit now)\n'),
    close() {
      // The last state, unless it was just printed.
      if (last && last !== lastPrinted) opts.stream.write(`${formatProgressLine(last, rates.take())}\n`);
    },
  };
}
