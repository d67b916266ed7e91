// Mutants of the shipped spec (keys deleted, wrong types, unknown references, huge numbers, unicode,
// duplicated entries): `validate` never throws anything but a SpecError, every refusal names
// file:line:column, and every mutant it accepts generates without throwing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { generateFromValid, implementationFacts } from '../generators/generate.ts';
import { SpecError, validateSpecText, type ValidSpec } from '../generators/spec/index.ts';
import { apply, mutation, shippedTree } from '../harness/support/spec-mutants.ts';
import { NEXA, NEXA_PATH } from './helpers.ts';

const RUNS = 200;
// A fixed seed keeps the suite deterministic; FUSION_MUTATION_SEED explores other mutants.
const SEED = Number(process.env.FUSION_MUTATION_SEED ?? 160_2026);
// Compiling the typed client takes seconds: it is generated for this many accepted mutants whose catalog changed.
const CLIENT_MUTANTS = 3;

const facts = implementationFacts();

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
        const tree = shippedTree();
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
