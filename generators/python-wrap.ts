// Generated Python lines kept within flake8's max-line-length (.flake8): a line too long is split at
// its widest top-level bracket, one item a line (as black does), or its long string is cut at spaces
// into implicitly joined pieces. Lines that fit are left as they are.

export const PY_MAX_LINE = 160;

type Span = { start: number; end: number; kind: 'bracket' | 'string' };

const OPEN = '([{';
const CLOSE = ')]}';

/** Top-level bracket pairs and string literals of one line of Python (end: index of the closer). */
function topLevelSpans(line: string): Span[] {
  const spans: Span[] = [];
  let depth = 0;
  let openedAt = -1;
  for (let i = 0; i < line.length; i += 1) {
    const char = line.charAt(i);
    if (char === "'" || char === '"') {
      const start = i;
      for (i += 1; i < line.length && line[i] !== char; i += 1) if (line[i] === '\\') i += 1;
      if (depth === 0) spans.push({ start, end: i, kind: 'string' });
    } else if (OPEN.includes(char)) {
      if (depth === 0) openedAt = i;
      depth += 1;
    } else if (CLOSE.includes(char)) {
      depth -= 1;
      if (depth === 0) spans.push({ start: openedAt, end: i, kind: 'bracket' });
    }
  }
  return spans;
}

/** The items between a bracket pair, split at top-level commas (a trailing comma gives no item). */
function splitItems(body: string): { items: string[]; trailingComma: boolean } {
  const items: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < body.length; i += 1) {
    const char = body.charAt(i);
    if (char === "'" || char === '"') {
      for (i += 1; i < body.length && body[i] !== char; i += 1) if (body[i] === '\\') i += 1;
    } else if (OPEN.includes(char)) depth += 1;
    else if (CLOSE.includes(char)) depth -= 1;
    else if (char === ',' && depth === 0) {
      items.push(body.slice(from, i).trim());
      from = i + 1;
    }
  }
  const last = body.slice(from).trim();
  if (last) items.push(last);
  return { items, trailingComma: !last && items.length > 0 };
}

/** A string literal's escaped text cut after spaces into pieces of at most `width` characters. */
function stringPieces(quote: string, text: string, width: number): string[] {
  const pieces: string[] = [];
  let piece = '';
  for (const word of text.split(/(?<= )/)) {
    if (piece && piece.length + word.length > width) {
      pieces.push(piece);
      piece = '';
    }
    piece += word;
  }
  if (piece) pieces.push(piece);
  return pieces.map((p) => `${quote}${p}${quote}`);
}

export function wrapLine(line: string): string[] {
  if (line.length <= PY_MAX_LINE) return [line];
  const indent = line.length - line.trimStart().length;
  const inner = ' '.repeat(indent + 4);
  const widest = topLevelSpans(line).sort((a, b) => b.end - b.start - (a.end - a.start))[0];
  if (!widest) return [line];
  if (widest.kind === 'bracket') {
    const { items, trailingComma } = splitItems(line.slice(widest.start + 1, widest.end));
    if (items.length === 0) return [line];
    const comma = items.length > 1 || trailingComma ? ',' : '';
    return [
      line.slice(0, widest.start + 1),
      ...items.flatMap((item, index) => wrapLine(`${inner}${item}${index < items.length - 1 ? ',' : comma}`)),
      `${' '.repeat(indent)}${line.slice(widest.end)}`,
    ];
  }
  // A string with a prefix (f'', b'', r'') is left whole: its pieces would not mean the same.
  if (/[A-Za-z]$/.test(line.slice(0, widest.start))) return [line];
  const quote = line.charAt(widest.start);
  const pieces = stringPieces(quote, line.slice(widest.start + 1, widest.end), PY_MAX_LINE - inner.length - 2);
  return [
    `${line.slice(0, widest.start)}(`,
    ...pieces.map((piece) => `${inner}${piece}`),
    `${' '.repeat(indent)})${line.slice(widest.end + 1)}`,
  ];
}

/** Every line of `source` that is too long, wrapped; comments and lines of triple-quoted
 * strings are left whole. */
export function wrapPython(source: string): string {
  let inTripleQuotes = false;
  return source
    .split('\n')
    .flatMap((line) => {
      const wasInside = inTripleQuotes;
      if ((line.match(/"""|'''/g)?.length ?? 0) % 2 === 1) inTripleQuotes = !inTripleQuotes;
      return wasInside || inTripleQuotes || /"""|'''/.test(line) || line.trimStart().startsWith('#') ? [line] : wrapLine(line);
    })
    .join('\n');
}
