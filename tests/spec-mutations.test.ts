// Mutants of the shipped spec (keys deleted, wrong types, unknown references, huge numbers, unicode,
// duplicated entries): `validate` never throws anything but a SpecError, every refusal names
// file:line:column, and every mutant it accepts generates without throwing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { generateFromValid, implementationFacts } from '../generators/generate.ts';
import { SpecError, validateSpecText, type ValidSpec } from '../generators/spec/index.ts';
import { NEXA, NEXA_PATH } from './helpers.ts';

type Path = (string | number)[];
type Tree = unknown;

const RUNS = 200;
// A fixed seed keeps the suite deterministic; FUSION_MUTATION_SEED explores other mutants.
const SEED = Number(process.env.FUSION_MUTATION_SEED ?? 160_2026);
// Compiling the typed client takes seconds: it is generated for this many accepted mutants whose catalog changed.
const CLIENT_MUTANTS = 3;

const original: Tree = parse(NEXA);
const facts = implementationFacts();

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

type Mutation =
  | { op: 'delete'; at: number }
  | { op: 'set'; at: number; value: unknown }
  | { op: 'typo'; at: number; how: number }
  | { op: 'reference'; at: number; pick: number }
  | { op: 'duplicate'; at: number }
  | { op: 'text'; at: number; value: string }
  | { op: 'number'; at: number; value: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
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

function apply(tree: Tree, m: Mutation): string {
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

interface Tally {
  mutants: number;
  refused: number;
  accepted: number;
  clients: number;
}

/** The catalog as the client sees it; the client is rebuilt only when this differs from the shipped spec's. */
function clientSlice(valid: ValidSpec): string {
  const { services, metrics, plans } = valid.spec.catalog;
  return JSON.stringify([services, metrics, plans.map((p) => [p.code, p.service]), valid.spec.module.api.events_batch_limit]);
}

describe('mutants of the shipped spec', () => {
  it(`are refused with located problems or generate, never crash (${RUNS} mutants)`, async () => {
    const tally: Tally = { mutants: 0, refused: 0, accepted: 0, clients: 0 };
    const shippedSlice = clientSlice(validateSpecText(NEXA_PATH, NEXA, facts));
    const clientsSeen = new Set<string>([shippedSlice]);
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 2 }), async (mutations) => {
        // Each mutant yields to the event loop, so vitest's worker stays responsive (its RPC times out otherwise).
        await new Promise((resolve) => setImmediate(resolve));
        const tree = structuredClone(original);
        const applied = mutations.map((m) => apply(tree, m));
        const text = stringify(tree, { lineWidth: 0 });
        tally.mutants++;
        let valid: ValidSpec;
        try {
          valid = validateSpecText(NEXA_PATH, text, facts);
        } catch (err) {
          if (!(err instanceof SpecError)) throw new Error(`validate threw ${String(err)} on ${applied.join('; ')}`);
          tally.refused++;
          const lines = text.split('\n').length;
          expect(err.diagnostics.length, applied.join('; ')).toBeGreaterThan(0);
          for (const d of err.diagnostics) {
            expect(d.file, applied.join('; ')).toBe(NEXA_PATH);
            expect(Number.isInteger(d.line) && d.line >= 1 && d.line <= lines + 1, `line of ${d.message}`).toBe(true);
            expect(Number.isInteger(d.column) && d.column >= 1, `column of ${d.message}`).toBe(true);
            expect(d.message.length, applied.join('; ')).toBeGreaterThan(0);
          }
          return;
        }
        tally.accepted++;
        const slice = clientSlice(valid);
        const withClient = !clientsSeen.has(slice) && tally.clients < CLIENT_MUTANTS;
        if (withClient) {
          clientsSeen.add(slice);
          tally.clients++;
        }
        let files: ReturnType<typeof generateFromValid>['files'];
        try {
          files = generateFromValid(valid, NEXA_PATH, { client: withClient }).files;
        } catch (err) {
          throw new Error(`generate threw on an accepted mutant (${applied.join('; ')}): ${(err as Error).stack}`);
        }
        expect(files.length).toBeGreaterThan(50);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `spec mutants: ${tally.mutants} (${tally.refused} refused, ${tally.accepted} accepted and generated, ${tally.clients} with the client) in ${seconds.toFixed(1)} s`,
    );
    expect(tally.mutants).toBe(RUNS);
    // The mutants must exercise both outcomes, or the test proves little.
    expect(tally.refused).toBeGreaterThan(RUNS / 10);
    expect(tally.accepted).toBeGreaterThan(RUNS / 10);
  }, 120_000);
});
