/**
 * Reads a scenario file: YAML → zod. Every error names the line, column and field, found by mapping
 * the zod issue's path back onto the YAML node it came from.
 */
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node as YamlNode, type Pair } from 'yaml';
import type { z } from 'zod';
import { scenarioSchema, type Scenario } from './schema.ts';

export interface ScenarioError {
  /** 1-based; 0 when the error is about the file as a whole. */
  line: number;
  column: number;
  /** Dotted field path, e.g. `chargers[0].connectors`; empty for YAML syntax errors. */
  path: string;
  message: string;
}

// The file a scenario was loaded from, for the run's result (the scenario object itself stays plain data).
const files = new WeakMap<object, string>();

/** The file `scenario` was loaded from, or null. */
export function scenarioFile(scenario: Scenario): string | null {
  return files.get(scenario) ?? null;
}

export type LoadResult = { ok: true; scenario: Scenario; file: string | null } | { ok: false; errors: ScenarioError[]; file: string | null };

/** Loads and validates a scenario from a file path or from text. Never throws for bad input. */
export async function loadScenario(source: string | { text: string; file?: string }): Promise<LoadResult> {
  const file = typeof source === 'string' ? source : (source.file ?? null);
  let text: string;
  if (typeof source === 'string') {
    try {
      text = await readFile(source, 'utf8');
    } catch (error) {
      return { ok: false, file, errors: [{ line: 0, column: 0, path: '', message: `cannot read ${source}: ${(error as Error).message}` }] };
    }
  } else text = source.text;
  return parseScenario(text, file);
}

/** Synchronous core of loadScenario for text already in memory. */
export function parseScenario(text: string, file: string | null = null): LoadResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      file,
      errors: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { line: pos.line, column: pos.col, path: '', message: `YAML: ${e.message.split('\n')[0]}` };
      }),
    };
  }
  const data = doc.toJS() as unknown;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, file, errors: [{ line: 1, column: 1, path: '', message: 'a scenario is a YAML mapping (name:, duration:, chargers: ...)' }] };
  }
  const parsed = scenarioSchema.safeParse(data);
  if (parsed.success) {
    if (file) files.set(parsed.data, file);
    return { ok: true, scenario: parsed.data, file };
  }
  const errors = parsed.error.issues.flatMap((issue) => toErrors(issue, doc, lineCounter));
  errors.sort((a, b) => a.line - b.line || a.column - b.column);
  return { ok: false, file, errors };
}

type Segment = string | number;

function formatPath(path: readonly Segment[]): string {
  return path.reduce<string>((out, seg) => (typeof seg === 'number' ? `${out}[${seg}]` : out ? `${out}.${seg}` : seg), '');
}

function position(node: { range?: [number, number, number] | null } | null | undefined, lc: LineCounter): { line: number; column: number } | null {
  if (!node?.range) return null;
  const pos = lc.linePos(node.range[0]);
  return { line: pos.line, column: pos.col };
}

/** The deepest node along `path` that exists, and how far along the path it is. */
function deepest(doc: Document, path: readonly Segment[]): { node: YamlNode | null; depth: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = (depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true)) as YamlNode | null | undefined;
    if (node && typeof node === 'object' && 'range' in node) return { node, depth };
  }
  return { node: null, depth: 0 };
}

function keyNode(doc: Document, parentPath: readonly Segment[], key: string): YamlNode | null {
  const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
  if (!isMap(parent)) return null;
  const pair = (parent.items as Pair[]).find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);
  return (pair?.key as YamlNode | undefined) ?? null;
}

function toErrors(issue: z.core.$ZodIssue, doc: Document, lc: LineCounter): ScenarioError[] {
  const path = issue.path.filter((s): s is Segment => typeof s === 'string' || typeof s === 'number');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const at = position(keyNode(doc, path, key), lc) ?? position(deepest(doc, path).node, lc) ?? { line: 0, column: 0 };
      return { ...at, path: formatPath([...path, key]), message: `unknown field "${key}"` };
    });
  }
  const { node, depth } = deepest(doc, path);
  const at = position(node, lc) ?? { line: 0, column: 0 };
  let message = issue.message;
  if (depth < path.length && issue.code === 'invalid_type') message = `missing required field "${String(path[path.length - 1])}"`;
  else if (issue.code === 'invalid_union' && 'errors' in issue) {
    // The most specific branch's complaint reads better than "Invalid input".
    const first = (issue.errors as z.core.$ZodIssue[][]).flat().find((i) => i.code !== 'invalid_type') ?? (issue.errors as z.core.$ZodIssue[][]).flat()[0];
    if (first) message = first.message;
  }
  return [{ ...at, path: formatPath(path), message }];
}

/** One line per error: `file:line:column  path: message`. */
export function formatScenarioErrors(errors: readonly ScenarioError[], file: string | null): string[] {
  return errors.map((e) => `${file ?? '<scenario>'}:${e.line}:${e.column}  ${e.path ? `${e.path}: ` : ''}${e.message}`);
}
