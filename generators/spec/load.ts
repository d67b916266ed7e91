// Reads a spec file into plain data plus a locator; malformed YAML becomes located diagnostics, never a crash.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { SourceLocator, SpecError, type Diagnostic } from './diagnostics.ts';

export interface LoadedSpec {
  file: string;
  text: string;
  data: unknown;
  locate: SourceLocator;
}

export function loadSpecText(file: string, text: string): LoadedSpec {
  const lines = new LineCounter();
  // uniqueKeys: a duplicated mapping key is an error, not a silent overwrite.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, merge: false });
  const problems: Diagnostic[] = [...doc.errors, ...doc.warnings].map((e) => {
    const { line, col } = lines.linePos(e.pos[0]);
    return { file, line, column: col, message: `YAML: ${firstLine(e.message)}` };
  });
  if (problems.length > 0) throw new SpecError(problems);
  return { file, text, data: doc.toJS({ maxAliasCount: 100 }), locate: new SourceLocator(file, doc, lines) };
}

export function loadSpecFile(file: string): LoadedSpec {
  return loadSpecText(file, readSpecText(file));
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
