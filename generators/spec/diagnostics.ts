// Located problems in a spec file. Every message a user sees names file:line:column.
import { createRequire } from 'node:module';
import type { Document, LineCounter, Node, Pair } from 'yaml';

// Loaded when a problem is located, not at start (see load.ts).
const require = createRequire(import.meta.url);
const yaml = () => require('yaml') as typeof import('yaml');

export type SpecPath = readonly (string | number)[];

/** Line and column by path (see positionKey). */
export type KnownPositions = Record<string, readonly [number, number]>;

function positionKey(path: SpecPath, onKey: boolean): string {
  return `${onKey ? 'key' : 'value'} ${JSON.stringify(path)}`;
}

export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  message: string;
}

/** A control character or line separator of a spec value, escaped: one problem stays one line. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it escapes
const UNPRINTABLE = /[\u0000-\u001f\u007f\u2028\u2029]/g;
const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const escaped = (c: string) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

export function formatDiagnostic(d: Diagnostic): string {
  const message = d.message.replace(UNPRINTABLE, escaped);
  return `${d.file}:${d.line}:${d.column}: ${message}`;
}

export class SpecError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
    this.name = 'SpecError';
  }
}

/** Maps paths inside the parsed YAML back to line:column, so that every check can point at its node. */
export class SourceLocator {
  private parsed: { doc: Document; lines: LineCounter } | undefined;

  /**
   * `parse` gives the document and its line counter, the first time a position is asked for that
   * `known` (the positions of every node, from `positions()` of an earlier parse) does not hold.
   */
  constructor(
    readonly file: string,
    private readonly parse: () => { doc: Document; lines: LineCounter },
    private readonly known: KnownPositions = {},
  ) {}

  /** The position of the value at `path`; `onKey` points at the mapping key instead (unknown keys). */
  at(path: SpecPath, message: string, onKey = false): Diagnostic {
    const known = this.known[positionKey(path, onKey)];
    if (known) return { file: this.file, line: known[0], column: known[1], message };
    this.parsed ??= this.parse();
    const { line, col } = this.parsed.lines.linePos(this.offsetOf(this.parsed.doc, path, onKey));
    return { file: this.file, line, column: col, message };
  }

  /** The line:column of every node and mapping key of the document, for a later locator's `known`. */
  positions(): KnownPositions {
    this.parsed ??= this.parse();
    const { isMap, isSeq } = yaml();
    const { lines } = this.parsed;
    const found: KnownPositions = {};
    const note = (path: SpecPath, onKey: boolean, offset: number | undefined) => {
      if (offset === undefined) return;
      const { line, col } = lines.linePos(offset);
      found[positionKey(path, onKey)] = [line, col];
    };
    const walk = (node: unknown, path: SpecPath) => {
      if (isMap(node)) {
        for (const pair of node.items as Pair[]) {
          const key = scalarValue(pair.key);
          if (typeof key !== 'string' && typeof key !== 'number') continue;
          const at = [...path, key];
          note(at, true, rangeStart(pair.key));
          // As offsetOf does: a key without a value stands for its value.
          note(at, false, rangeStart(pair.value) ?? rangeStart(pair.key));
          walk(pair.value, at);
        }
      } else if (isSeq(node)) {
        node.items.forEach((item, index) => {
          note([...path, index], false, rangeStart(item));
          walk(item, [...path, index]);
        });
      }
    };
    note([], false, rangeStart(this.parsed.doc.contents) ?? 0);
    walk(this.parsed.doc.contents, []);
    return found;
  }

  private offsetOf(doc: Document, path: SpecPath, onKey: boolean): number {
    const { isMap, isSeq } = yaml();
    let node: unknown = doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (const [i, key] of path.entries()) {
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p: Pair) => scalarValue(p.key) === key);
        if (!pair) return offset;
        if (last && onKey) return rangeStart(pair.key) ?? offset;
        node = pair.value;
        offset = rangeStart(node) ?? rangeStart(pair.key) ?? offset;
      } else if (isSeq(node) && typeof key === 'number') {
        node = node.items[key];
        offset = rangeStart(node) ?? offset;
      } else {
        return offset;
      }
    }
    return offset;
  }
}

function scalarValue(node: unknown): unknown {
  return yaml().isScalar(node) ? (node as { value: unknown }).value : node;
}

function rangeStart(node: unknown): number | undefined {
  if (yaml().isPair(node)) return rangeStart((node as Pair).key);
  return (node as Node | undefined)?.range?.[0];
}
