// Reads a spec file into plain data plus a locator; malformed YAML becomes located diagnostics, never a crash.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Document, LineCounter } from 'yaml';
import { SourceLocator, SpecError, type Diagnostic } from './diagnostics.ts';
import { cachedSpecData, keepSpecData } from './parsed-cache.ts';

// The YAML library loads when a spec is parsed, not at start: a cached spec does without it.
const require = createRequire(import.meta.url);
const yaml = () => require('yaml') as typeof import('yaml');

export interface LoadedSpec {
  file: string;
  text: string;
  data: unknown;
  locate: SourceLocator;
}

function parse(text: string): { doc: Document; lines: LineCounter } {
  const { LineCounter, parseDocument } = yaml();
  const lines = new LineCounter();
  // uniqueKeys: a duplicated mapping key is an error, not a silent overwrite.
  return { doc: parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, merge: false }), lines };
}

export function loadSpecText(file: string, text: string): LoadedSpec {
  const parsed = parse(text);
  const { doc, lines } = parsed;
  const problems: Diagnostic[] = [...doc.errors, ...doc.warnings].map((e) => {
    const { line, col } = lines.linePos(e.pos[0]);
    return { file, line, column: col, message: `YAML: ${firstLine(e.message)}` };
  });
  if (problems.length > 0) throw new SpecError(problems);
  return { file, text, data: doc.toJS({ maxAliasCount: 100 }), locate: new SourceLocator(file, () => parsed) };
}

/** A spec file, its data from .cache/spec when its text parsed cleanly before (then parsed again only to locate a problem). */
export function loadSpecFile(file: string): LoadedSpec {
  const text = readSpecText(file);
  const cached = cachedSpecData(file, text);
  if (cached.found) return { file, text, data: cached.data, locate: new SourceLocator(file, () => parse(text), cached.positions) };
  const loaded = loadSpecText(file, text);
  keepSpecData(file, text, loaded.data, () => loaded.locate.positions());
  return loaded;
}

/** The spec's text; a file that cannot be read is a located SpecError like any other problem. */
export function readSpecText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new SpecError([{ file, line: 1, column: 1, message: `cannot read spec: ${reason}` }]);
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}
