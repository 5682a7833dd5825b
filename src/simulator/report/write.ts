/** Writes report.json, junit.xml and report.html into one directory. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunResult } from '../types.ts';
import { renderHtml } from './html.ts';
import { renderJunit } from './junit.ts';

export interface ReportPaths {
  json: string;
  junit: string;
  html: string;
}

/** Creates `dir` if needed and writes the three reports; returns their paths. */
export async function writeReports(result: RunResult, dir: string): Promise<ReportPaths> {
  await mkdir(dir, { recursive: true });
  const paths: ReportPaths = { json: join(dir, 'report.json'), junit: join(dir, 'junit.xml'), html: join(dir, 'report.html') };
  await Promise.all([
    writeFile(paths.json, `${JSON.stringify(result, null, 2)}\n`),
    writeFile(paths.junit, renderJunit(result)),
    writeFile(paths.html, renderHtml(result)),
  ]);
  return paths;
}

/** `reports/<scenario-name>-<yyyymmdd-hhmmss>` (UTC), safe as a directory name on every OS. */
export function defaultReportDir(scenarioName: string, at: Date = new Date(), root = 'reports'): string {
  const slug = scenarioName.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'scenario';
  const stamp = at.toISOString().replace(/\.\d+Z$/, '').replace(/[-:]/g, '').replace('T', '-');
  return join(root, `${slug}-${stamp}`);
}
