// Reads a spec file into plain data plus a locator; malformed YAML becomes located diagnostics, never a crash.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Alias, Document, LineCounter, Node } from 'yaml';
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
  const at = (node: Node) => {
    const { line, col } = lines.linePos(node.range?.[0] ?? 0);
    return { file, line, column: col };
  };
  const aliases = aliasesOf(doc);
  const cycles = aliases.filter((alias) => contains(alias.resolve(doc), alias));
  if (cycles.length > 0) {
    throw new SpecError(
      cycles.map((alias) => ({
        ...at(alias),
        message: `YAML: alias *${alias.source} is inside the node it names (a cycle): a spec is a tree`,
      })),
    );
  }
  try {
    return { file, text, data: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), locate: new SourceLocator(file, () => parsed) };
  } catch (err) {
    // yaml throws a ReferenceError when aliases would expand past maxAliasCount ("billion laughs").
    const first = aliases[0];
    throw new SpecError([{ ...(first ? at(first) : { file, line: 1, column: 1 }), message: `YAML: ${firstLine((err as Error).message)}` }]);
  }
}

/** How far aliases may multiply the document when it is read (yaml's guard against alias bombs). */
const MAX_ALIAS_COUNT = 100;

function aliasesOf(doc: Document): Alias[] {
  const { isAlias, visit } = yaml();
  const found: Alias[] = [];
  visit(doc, (_key, node) => {
    if (isAlias(node)) found.push(node);
  });
  return found;
}

/** Whether `target` is `node` or among its descendants (not following aliases). */
function contains(node: Node | undefined, target: Node): boolean {
  if (!node) return false;
  const { visit } = yaml();
  let found = node === target;
  visit(node, (_key, child) => {
    if (child === target) {
      found = true;
      return visit.BREAK;
    }
  });
  return found;
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
