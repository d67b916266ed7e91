// No emitter can affect another: they only read a frozen context, so their order, company or repetition
// changes no byte.
import { describe, expect, it } from 'vitest';
import { checkOutput, emitContext, emitFiles, emittersFor, implementationFacts } from '../../generators/generate.ts';
import { buildIR } from '../../generators/ir/build.ts';
import { validateSpecFile } from '../../generators/spec/index.ts';
import { NEXA_PATH, REPO } from '../helpers.ts';

const valid = validateSpecFile(`${REPO}${NEXA_PATH}`, implementationFacts());
const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : 1);

describe('emitters', () => {
  it('in reverse order write the committed out/ byte for byte', () => {
    const ir = buildIR(valid, NEXA_PATH);
    const files = emitFiles(emitContext(ir), [...emittersFor(ir)].reverse());
    expect(checkOutput(`${REPO}out`, ir.module.technicalName, files)).toEqual({ changed: [], missing: [], unexpected: [] });
  }, 60_000);

  it('each alone writes what it writes among the others, and a second run on the same context the same', () => {
    const ir = buildIR(valid, NEXA_PATH);
    const emitters = emittersFor(ir, { client: false });
    const ctx = emitContext(ir);
    const together = emitFiles(ctx, emitters);
    expect(emitFiles(ctx, [...emitters].reverse())).toEqual(together);
    const alone = emitters.flatMap((emit) => emitFiles(emitContext(buildIR(valid, NEXA_PATH)), [emit]));
    expect(alone.sort(byPath)).toEqual(together);
    expect(together.length).toBeGreaterThan(100);
  });
});
