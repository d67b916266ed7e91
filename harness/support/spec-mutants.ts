// Mutants of the shipped spec for the property tests (tests/spec-mutations.test.ts, in-process) and
// the fault suite (harness/faults/spec-input.fault.ts, through the CLI): mutations of its YAML tree
// (keys deleted, wrong types, unknown references, huge numbers, unicode, duplicated entries) and of
// its text (anchors and aliases, cycles of them, alias bombs, tabs, truncation, stray bytes).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import * as yaml from 'yaml';
import { REPO_ROOT } from '../../generators/repo-root.ts';

export const NEXA_SPEC_PATH = 'spec/nexa.yaml';
export const NEXA_SPEC_TEXT = readFileSync(`${REPO_ROOT}/${NEXA_SPEC_PATH}`, 'utf8');
const original: unknown = yaml.parse(NEXA_SPEC_TEXT);

type Path = (string | number)[];
type Tree = unknown;

/** A fresh copy of the shipped spec's YAML tree, to mutate. */
export function shippedTree(): Tree {
  return structuredClone(original);
}

/** Every path of the tree (maps and lists included), and every string value in it. */
function walk(node: Tree, path: Path, paths: Path[], strings: Set<string>): void {
  if (path.length > 0) paths.push(path);
  if (typeof node === 'string') strings.add(node);
  if (Array.isArray(node)) node.forEach((item, i) => walk(item, [...path, i], paths, strings));
  else if (node && typeof node === 'object') for (const [key, value] of Object.entries(node)) walk(value, [...path, key], paths, strings);
}
const PATHS: Path[] = [];
const STRINGS = new Set<string>();
walk(original, [], PATHS, STRINGS);
const STRING_POOL = [...STRINGS];
// Free text (labels, help, messages) and numbers: mutants there are mostly valid, so they reach the generator.
const TEXT_KEYS = new Set([
  'name',
  'description',
  'help',
  'string',
  'summary',
  'comment',
  'message',
  'label',
  'invoice_display_name',
  'threshold_display_name',
  'confirm',
  'author',
]);
const valueAt = (path: Path) => path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], original);
const TEXT_PATHS = PATHS.filter((p) => TEXT_KEYS.has(String(p[p.length - 1])) && typeof valueAt(p) === 'string');
const NUMBER_PATHS = PATHS.filter((p) => typeof valueAt(p) === 'number');

const WRONG_TYPES = [42, -1, 0, 1.5, '', 'x', true, false, null, [], {}, ['a'], { a: 1 }];
const HUGE = [1e308, -1e308, Infinity, -Infinity, NaN, 2 ** 63, Number.MAX_SAFE_INTEGER + 2, 1e-300, 10 ** 21, 4294967296];
const UNICODE = [
  '💸 €',
  'a\u2028b\u2029c',
  `it's "quoted" */ <x> & {{y}} \\ \``,
  '\u202Eevil',
  'nul\u0000byte',
  'é'.repeat(300),
  'Ünïcødé',
  '日本語',
  'line\nbreak',
  ' ',
  '\t',
];

export type Mutation =
  | { op: 'delete'; at: number }
  | { op: 'set'; at: number; value: unknown }
  | { op: 'typo'; at: number; how: number }
  | { op: 'reference'; at: number; pick: number }
  | { op: 'duplicate'; at: number }
  | { op: 'text'; at: number; value: string }
  | { op: 'number'; at: number; value: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(...WRONG_TYPES) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(...HUGE) }),
  fc.record({
    op: fc.constant('set' as const),
    at: fc.nat(),
    value: fc.oneof(fc.constantFrom(...UNICODE), fc.string({ unit: 'grapheme', maxLength: 12 })),
  }),
  fc.record({ op: fc.constant('typo' as const), at: fc.nat(), how: fc.nat(3) }),
  fc.record({ op: fc.constant('reference' as const), at: fc.nat(), pick: fc.nat() }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('text' as const),
    at: fc.nat(),
    value: fc.oneof(fc.constantFrom(...UNICODE), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 })),
  }),
  fc.record({ op: fc.constant('number' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(...HUGE), fc.integer(), fc.double()) }),
);

function parentOf(tree: Tree, path: Path): Record<string | number, unknown> | undefined {
  let node = tree as Record<string | number, unknown> | undefined;
  for (const key of path.slice(0, -1)) {
    node = node?.[key] as Record<string | number, unknown> | undefined;
    if (!node || typeof node !== 'object') return undefined;
  }
  return node;
}

/** Applies `m` to `tree` in place; what it did, in words. */
export function apply(tree: Tree, m: Mutation): string {
  const pool = m.op === 'text' ? TEXT_PATHS : m.op === 'number' ? NUMBER_PATHS : PATHS;
  const path = pool[m.at % pool.length]!;
  const parent = parentOf(tree, path);
  const key = path[path.length - 1]!;
  if (!parent || !(key in parent)) return 'skipped';
  const where = path.join('.');
  switch (m.op) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      return `delete ${where}`;
    case 'set':
    case 'text':
    case 'number':
      parent[key] = structuredClone(m.value);
      return `set ${where} = ${String(m.value)}`;
    case 'typo': {
      const value = parent[key];
      if (typeof value !== 'string') {
        parent[key] = `${String(value)}x`;
      } else {
        parent[key] = [`${value}x`, value.slice(0, -1), value.toUpperCase(), `${value}.${value}`][m.how]!;
      }
      return `typo ${where}`;
    }
    case 'reference':
      parent[key] = STRING_POOL[m.pick % STRING_POOL.length]!;
      return `reference ${where} = ${String(parent[key])}`;
    case 'duplicate':
      if (Array.isArray(parent)) parent.splice((key as number) + 1, 0, structuredClone(parent[key]));
      else parent[`${String(key)}_copy`] = structuredClone(parent[key]);
      return `duplicate ${where}`;
  }
}

/** Mutations of the spec's text, where the YAML itself is what goes wrong. */
export type TextMutation =
  | { op: 'alias-cycle'; at: number }
  | { op: 'alias-elsewhere'; from: number; to: number }
  | { op: 'alias-bomb'; width: number; depth: number }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'duplicate-line'; at: number }
  | { op: 'delete-line'; at: number }
  | { op: 'crlf' }
  | { op: 'bom' };

const STRAY_TEXT = [
  '\t',
  '\u0000',
  '\uFEFF',
  '\u2028',
  '{',
  '}',
  '[',
  ': ',
  '- ',
  '&a ',
  '*a',
  '!!binary ',
  '!!js/function ',
  '%YAML 1.1\n',
  '---\n',
  '...\n',
  '? ',
  '|',
  '"',
  "'",
  '#',
  '💸',
];

export const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.record({ op: fc.constant('alias-cycle' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('alias-elsewhere' as const), from: fc.nat(), to: fc.nat() }),
  fc.record({ op: fc.constant('alias-bomb' as const), width: fc.integer({ min: 2, max: 12 }), depth: fc.integer({ min: 2, max: 10 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...STRAY_TEXT), fc.string({ unit: 'binary', maxLength: 4 })),
  }),
  fc.record({ op: fc.constant('duplicate-line' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('delete-line' as const), at: fc.nat() }),
  fc.constant({ op: 'crlf' as const }),
  fc.constant({ op: 'bom' as const }),
);

/** `text` with `m` applied, and what was done, in words. */
export function applyToText(text: string, m: TextMutation): { text: string; applied: string } {
  const lines = text.split('\n');
  switch (m.op) {
    case 'alias-cycle': {
      // Written as text (the YAML library will not write an alias inside its own anchor): a block
      // mapping's key gets an anchor, and its first child line an alias of it — a value containing itself.
      const starts = lines.flatMap((line, i) => {
        const child = lines[i + 1];
        const indent = (l: string) => l.length - l.trimStart().length;
        return /^\s*[\w-]+:$/.test(line) && child !== undefined && indent(child) > indent(line) && !child.trimStart().startsWith('-')
          ? [i]
          : [];
      });
      if (!starts.length) return { text, applied: 'alias cycle skipped (no block mapping left)' };
      const at = starts[m.at % starts.length]!;
      const childIndent = lines[at + 1]!.length - lines[at + 1]!.trimStart().length;
      lines[at] = `${lines[at]} &mutant`;
      lines.splice(at + 1, 0, `${' '.repeat(childIndent)}mutant_cycle: *mutant`);
      return { text: lines.join('\n'), applied: `alias cycle under line ${at + 1}` };
    }
    case 'alias-elsewhere': {
      const { isCollection, isPair, parseDocument, visit } = yaml;
      const doc = parseDocument(text);
      // An earlier mutation may have broken the YAML already: the library writes no broken document.
      if (doc.errors.length) return { text, applied: 'alias elsewhere skipped (the YAML is already broken)' };
      const collections: YamlCollection[] = [];
      const pairs: { key: unknown; value: unknown }[] = [];
      visit(doc, (_key, node) => {
        if (isCollection(node)) collections.push(node as YamlCollection);
        if (isPair(node)) pairs.push(node);
      });
      if (!collections.length) return { text, applied: 'alias elsewhere skipped (no collection left)' };
      const anchored = collections[m.from % collections.length]!;
      const alias = doc.createAlias(anchored as never, 'mutant');
      // An alias must come after its anchor (the YAML library refuses to write it otherwise): the pair is one after the node.
      const end = anchored.range?.[2] ?? 0;
      const after = pairs.filter((pair) => ((pair.key as { range?: number[] } | null)?.range?.[0] ?? 0) > end);
      if (!after.length) return { text, applied: 'no pair after the anchor: unchanged' };
      after[m.to % after.length]!.value = alias;
      try {
        return {
          text: doc.toString({ lineWidth: 0 }),
          applied: `alias of collection #${m.from % collections.length} as the value of a later pair`,
        };
      } catch {
        // The library writes no alias it cannot resolve (anchors an earlier mutation reordered).
        return { text, applied: 'alias elsewhere skipped (the library cannot write it)' };
      }
    }
    case 'alias-bomb': {
      const bomb = [`mutant_l0: &mutant_l0 [${Array(m.width).fill('lol').join(', ')}]`];
      for (let level = 1; level < m.depth; level++) {
        bomb.push(
          `mutant_l${level}: &mutant_l${level} [${Array(m.width)
            .fill(`*mutant_l${level - 1}`)
            .join(', ')}]`,
        );
      }
      return { text: `${text.trimEnd()}\n${bomb.join('\n')}\n`, applied: `alias bomb ${m.width}^${m.depth}` };
    }
    case 'truncate':
      return { text: text.slice(0, m.at % text.length), applied: `truncated at ${m.at % text.length}` };
    case 'insert': {
      const at = m.at % text.length;
      return { text: text.slice(0, at) + m.text + text.slice(at), applied: `inserted ${JSON.stringify(m.text)} at ${at}` };
    }
    case 'duplicate-line': {
      const at = m.at % lines.length;
      lines.splice(at, 0, lines[at]!);
      return { text: lines.join('\n'), applied: `duplicated line ${at + 1}` };
    }
    case 'delete-line': {
      const at = m.at % lines.length;
      lines.splice(at, 1);
      return { text: lines.join('\n'), applied: `deleted line ${at + 1}` };
    }
    case 'crlf':
      return { text: text.replace(/\n/g, '\r\n'), applied: 'CRLF line ends' };
    case 'bom':
      return { text: `\uFEFF${text}`, applied: 'byte-order mark' };
  }
}

type YamlCollection = yaml.YAMLMap | yaml.YAMLSeq;
