// Located problems in a spec file. Every message a user sees names file:line:column.
import { isMap, isPair, isScalar, isSeq, type LineCounter, type Document, type Node, type Pair } from 'yaml';

export type SpecPath = readonly (string | number)[];

export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.message}`;
}

export class SpecError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
    this.name = 'SpecError';
  }
}

/** Maps paths inside the parsed YAML back to line:column, so that every check can point at its node. */
export class SourceLocator {
  constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** The position of the value at `path`; `onKey` points at the mapping key instead (unknown keys). */
  at(path: SpecPath, message: string, onKey = false): Diagnostic {
    const { line, col } = this.lines.linePos(this.offsetOf(path, onKey));
    return { file: this.file, line, column: col, message };
  }

  private offsetOf(path: SpecPath, onKey: boolean): number {
    let node: unknown = this.doc.contents;
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
  return isScalar(node) ? node.value : node;
}

function rangeStart(node: unknown): number | undefined {
  if (isPair(node)) return rangeStart(node.key);
  return (node as Node | undefined)?.range?.[0];
}
