/** Outputs of a run: the progress line, the terminal summary and the report files. All pure but writeReports. */
export { createRateWindow, formatProgressLine } from './progress.ts';
export { renderSummary } from './summary.ts';
export { renderJunit } from './junit.ts';
export { renderHtml } from './html.ts';
export { writeReports, defaultReportDir, type ReportPaths } from './write.ts';
export { formatMs, formatRate, formatDuration, thresholdMark, countThresholds, sortedLatency, pickLatencyRows, connectedChargers } from './format.ts';
export { renderBenchSummary, etagSavings, type BenchResult, type BenchRow } from './bench.ts';
