// Release 2 of the spec for the module-upgrade fault scenario (harness/support/module-release.ts):
// the shipped document edited in place (its text otherwise unchanged), valid, located, and
// generated into a module that differs from release 1's where it should.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateRelease, RELEASE_2, releaseTwo, validRelease } from '../../harness/support/module-release.ts';
import { NEXA, NEXA_PATH } from '../helpers.ts';

const release = releaseTwo(NEXA);
const valid = validRelease(NEXA_PATH, release.text);
const scratch = mkdtempSync(join(tmpdir(), 'fusion-release-test-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type Tree = Record<string, unknown>;
const at = (tree: unknown, path: (string | number)[]): unknown =>
  path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], tree);

describe('fault suite: module release 2 of the spec', () => {
  it('is valid and carries the new metric, the new plan using it, the new price and the new field', () => {
    const { spec } = valid;
    expect(spec.module.version).toBe(RELEASE_2.version);
    expect(spec.catalog.metrics.find((m) => m.code === RELEASE_2.metric.code)).toMatchObject(RELEASE_2.metric);
    const plan = spec.catalog.plans.find((p) => p.code === RELEASE_2.plan.code);
    expect(plan?.charges.map((c) => [c.code, c.metric, c.properties])).toEqual([
      [RELEASE_2.plan.charge.code, RELEASE_2.metric.code, { amount: RELEASE_2.plan.charge.amount }],
    ]);
    const priced = spec.catalog.plans.find((p) => p.code === RELEASE_2.price.plan)?.charges.find((c) => c.code === RELEASE_2.price.charge);
    expect(priced?.properties).toEqual({ amount: RELEASE_2.price.to });
    const model = spec.module.models.find((m) => m.name === RELEASE_2.field.model);
    expect(model?.fields.find((f) => f.name === RELEASE_2.field.name)).toMatchObject({ type: 'char', string: RELEASE_2.field.string });
  });

  it('changes nothing else: release 1 with the edited paths put back is the shipped tree, and its text keeps the rest line for line', () => {
    const shipped = parse(NEXA) as Tree;
    const two = parse(release.text) as Tree;
    expect(release.edits.map((e) => e.what)).toHaveLength(5);
    // Undo each edit on release 2's tree: appended items removed, changed scalars set back.
    const undone = structuredClone(two);
    for (const { path } of [...release.edits].reverse()) {
      const parent = at(undone, path.slice(0, -1)) as Record<string | number, unknown> | unknown[];
      const key = path[path.length - 1]!;
      const before = at(shipped, path.slice(0, -1)) as Record<string | number, unknown> | unknown[] | undefined;
      const original = before === undefined ? undefined : (before as Record<string | number, unknown>)[key];
      if (Array.isArray(parent) && original === undefined) parent.splice(Number(key), 1);
      else (parent as Record<string | number, unknown>)[key] = original;
    }
    expect(undone).toEqual(shipped);
    // The document was edited, not re-serialised: every line of release 1 is still there, in order.
    const lines = release.text.split('\n');
    let cursor = 0;
    for (const line of NEXA.split('\n')) {
      if (line.includes(`version: 19.0.1.0.0`) || line.includes(`amount: "${RELEASE_2.price.from}"`)) continue;
      const found = lines.indexOf(line, cursor);
      expect(found, `release 2 lost the line ${JSON.stringify(line)}`).toBeGreaterThanOrEqual(0);
      cursor = found + 1;
    }
  });

  it('is located: a problem in an added part is reported at its line in release 2', () => {
    const broken = release.text.replace(`amount: "${RELEASE_2.plan.charge.amount}"`, 'amount: 0.05');
    let problem: { line: number; message: string } | undefined;
    try {
      validRelease(NEXA_PATH, broken);
    } catch (error) {
      problem = (error as { diagnostics: { line: number; message: string }[] }).diagnostics[0];
    }
    expect(problem, 'a money amount as a YAML number is refused').toBeDefined();
    expect(broken.split('\n')[problem!.line - 1]).toContain('amount: 0.05');
  });

  it('generates a module whose catalog has the new records and the new price, and whose model has the new field', () => {
    const { moduleDir, files } = generateRelease(NEXA_PATH, release.text, join(scratch, 'release-2'));
    expect(files).toBeGreaterThan(50);
    const manifest = readFileSync(join(moduleDir, '__manifest__.py'), 'utf8');
    expect(manifest).toContain(`'version': '${RELEASE_2.version}'`);
    const catalog = readFileSync(join(moduleDir, 'data', 'catalog.xml'), 'utf8');
    expect(catalog).toContain(`<field name="code">${RELEASE_2.metric.code}</field>`);
    expect(catalog).toContain(`<field name="fusion_plan_code">${RELEASE_2.plan.code}</field>`);
    expect(catalog).toContain(`<field name="properties" eval="{'amount': '${RELEASE_2.price.to}'}"/>`);
    expect(catalog).not.toContain(`<field name="properties" eval="{'amount': '${RELEASE_2.price.from}'}"/>`);
    const models = readFileSync(join(moduleDir, 'models', 'fusion_billing_service.py'), 'utf8');
    expect(models).toMatch(new RegExp(`${RELEASE_2.field.name} = fields\\.Char\\(`));

    const { moduleDir: oneDir } = generateRelease(NEXA_PATH, NEXA, join(scratch, 'release-1'));
    expect(readFileSync(join(oneDir, 'data', 'catalog.xml'), 'utf8')).toContain(
      `<field name="properties" eval="{'amount': '${RELEASE_2.price.from}'}"/>`,
    );
    expect(readFileSync(join(oneDir, 'models', 'fusion_billing_service.py'), 'utf8')).not.toContain(RELEASE_2.field.name);
  });
});
