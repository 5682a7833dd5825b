/** `ev-sim bench rest`'s bounds, apart from bench-rest.ts so that `ev-sim --help` can show them without loading autocannon. */
export const BENCH_LIMITS = { maxDurationS: 300, maxConnections: 1000 } as const;
