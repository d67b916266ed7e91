// The built IR is read-only at run time too: every emitter reads the same one, so none may change it.
import { describe, expect, it } from 'vitest';
import { emitContext, implementationFacts } from '../../generators/generate.ts';
import { buildIR } from '../../generators/ir/build.ts';
import { validateSpecFile } from '../../generators/spec/index.ts';
import { NEXA_PATH, REPO } from '../helpers.ts';

const valid = validateSpecFile(`${REPO}${NEXA_PATH}`, implementationFacts());
const ir = buildIR(valid, NEXA_PATH);
const model = (name: string) => ir.module.models.find((m) => m.name === name)!;

/** What a careless emitter would do, typed loosely as plain JavaScript would be. */
const loose = (value: unknown) => value as Record<string, unknown> & unknown[];

describe('built IR', () => {
  it('throws on a write to a nested array or object', () => {
    expect(Object.isFrozen(ir)).toBe(true);
    expect(() => loose(ir.module.models).push({})).toThrow(TypeError);
    expect(() => loose(ir.module.dataFiles).sort()).toThrow(TypeError);
    expect(() => {
      loose(model('fusion.billing.service').fields[0]).name = 'renamed';
    }).toThrow(TypeError);
    expect(() => {
      loose(model('fusion.billing.service').fields[0]!.kwargs[0]).length = 0;
    }).toThrow(TypeError);
    expect(() => {
      loose(model('fusion.billing.account.link').access[0]).unlink = true;
    }).toThrow(TypeError);
    expect(() => {
      loose(ir.module.accessMatrix.models[0]!.rights).group_user = {};
    }).toThrow(TypeError);
    expect(() => loose(ir.module.constraintCases.uniqueTests[0]!.columns).pop()).toThrow(TypeError);
    // Spec values carried as they are (charge properties) are frozen too.
    const properties = ir.catalog.plans.flatMap((p) => p.charges).find((c) => Object.keys(c.properties).length > 0)!.properties;
    expect(() => {
      loose(properties).amount = '0';
    }).toThrow(TypeError);
    expect(model('fusion.billing.service').fields[0]!.name).toBe('name');
  });

  it('shares nothing with the spec it was built from (the spec stays writable)', () => {
    expect(ir.module.depends).toEqual(valid.spec.module.depends);
    expect(ir.module.depends).not.toBe(valid.spec.module.depends);
    expect(Object.isFrozen(valid.spec.module.depends)).toBe(false);
    expect(Object.isFrozen(valid.spec.module.models[0])).toBe(false);
  });

  it('is given to the emitters in a frozen context', () => {
    const ctx = emitContext(ir);
    expect(ctx.ir).toBe(ir);
    expect(() => loose(ctx.staticModules).push('models/extra.py')).toThrow(TypeError);
    expect(() => {
      loose(ctx).header = 'changed';
    }).toThrow(TypeError);
  });
});
