// The module's own Odoo tests, derived from the spec: constraints, access matrix, company isolation, catalog.
import type { BillingIR, ConstraintIR, FactoryIR, FieldIR, ModelIR } from '../ir/types.ts';
import type { Emitter } from './types.ts';

const OPERATIONS = ['read', 'write', 'create', 'unlink'] as const;

export const emitOdooTests: Emitter = ({ ir, render, header, staticModules }) => {
  const root = ir.module.technicalName;
  const dir = `${root}/tests`;
  return [
    { path: `${dir}/__init__.py`, content: render('module/init.py.hbs', { header, imports: ['test_constraints', 'test_access', 'test_catalog', 'test_pricing_examples', ...staticTests(staticModules)] }) },
    { path: `${dir}/common.py`, content: render('module/tests/common.py.hbs', { header, factories: factories(ir) }) },
    { path: `${dir}/test_constraints.py`, content: render('module/tests/test_constraints.py.hbs', { header, ...constraintTests(ir) }) },
    { path: `${dir}/test_access.py`, content: render('module/tests/test_access.py.hbs', { header, ...accessTests(ir) }) },
    { path: `${dir}/test_catalog.py`, content: render('module/tests/test_catalog.py.hbs', { header, module: root, ...catalogExpectations(ir) }) },
    { path: `${dir}/test_pricing_examples.py`, content: render('module/tests/test_pricing_examples.py.hbs', { header, module: root, examples: pricingExamples(ir) }) },
  ];
};

/** Hand-written Odoo tests (python/<module>/tests/test_*.py) run beside the generated ones. */
function staticTests(staticModules: string[]): string[] {
  return staticModules.filter((m) => /^tests\/test_[a-z0-9_]+\.py$/.test(m)).map((m) => m.slice('tests/'.length, -3));
}

function factories(ir: BillingIR) {
  const of = (model: string, factory: FactoryIR) => ({ ...factory, model, ownCompany: factory.companyField === 'own' });
  return [...ir.module.models.map((m) => of(m.name, m.factory)), ...ir.module.extensions.map((e) => of(e.model, e.factory))];
}

function constraintTests(ir: BillingIR) {
  const owners: { model: string; factory: string; fields: FieldIR[]; constraints: ConstraintIR[] }[] = [
    ...ir.module.models.map((m) => ({ model: m.name, factory: m.factory.method, fields: m.fields, constraints: m.constraints })),
    ...ir.module.extensions.map((e) => ({ model: e.model, factory: e.factory.method, fields: e.fields, constraints: e.constraints })),
  ];
  const all = owners.flatMap((o) => o.constraints.map((c) => ({ owner: o, c })));
  const testName = (sqlName: string) => sqlName.replace(/^fusion_billing_/, '');
  return {
    constraintNames: all.filter(({ c }) => !c.isIndex).map(({ c }) => c.sqlName),
    indexNames: [...ir.module.models.flatMap((m) => m.indexes.map((i) => i.sqlName)), ...all.filter(({ c }) => c.isIndex).map(({ c }) => c.sqlName)],
    uniqueTests: all
      .filter(({ c }) => c.unique)
      .map(({ owner, c }) => ({
        testName: testName(c.sqlName),
        model: owner.model,
        message: c.message,
        factory: owner.factory,
        columns: [...c.unique!, ...Object.keys(c.where ?? {})],
        where: c.where,
        // A char column of the constraint, to prove that changing it alone is accepted.
        controlColumn: c.unique!.find((col) => owner.fields.find((f) => f.name === col)?.type === 'char'),
      })),
    checkTests: all
      .filter(({ c }) => c.violatedBy)
      .map(({ owner, c }) => ({ testName: testName(c.sqlName), model: owner.model, message: c.message, factory: owner.factory, violatedBy: c.violatedBy })),
  };
}

function accessTests(ir: BillingIR) {
  const groups = ir.module.groups;
  const rights = (model: ModelIR, groupIds: string[]) =>
    Object.fromEntries(OPERATIONS.map((op) => [op, model.access.some((a) => groupIds.includes(a.groupId) && a[op])]));
  const expected = Object.fromEntries(
    ir.module.models.map((model) => [
      model.name,
      {
        ...Object.fromEntries(groups.map((g) => [g.xmlid, rights(model, g.effectiveGroupIds)])),
        internal: rights(model, []),
      },
    ]),
  );
  const readerOf = (model: ModelIR) => groups.find((g) => rights(model, g.effectiveGroupIds).read)?.xmlid;
  return {
    expected,
    groups: groups.map((g) => ({ xmlid: g.xmlid, login: `fusion_${g.xmlid}`, groupsParam: `base.group_user,${g.ref}` })),
    accessTests: ir.module.models.map((m) => ({
      short: m.shortName,
      model: m.name,
      factory: m.factory.method,
      userKeys: [...groups.map((g) => g.xmlid), 'internal'],
    })),
    companyTests: ir.module.models
      .filter((m) => m.rule && readerOf(m))
      .map((m) => ({ short: m.shortName, model: m.name, factory: m.factory.method, reader: readerOf(m) })),
  };
}

function catalogExpectations(ir: BillingIR) {
  const { services, metrics, products, plans } = ir.catalog;
  const metricCodeOf = new Map(metrics.map((m) => [m.xmlid, m.code]));
  const productCodeOf = new Map(products.map((p) => [p.xmlid, p.code]));
  return {
    services: Object.fromEntries(
      services.map((s) => [
        s.xmlid,
        {
          code: s.code,
          name: s.name,
          kind: s.kind,
          currency: s.currency,
          account_id_pattern: s.accountIdPattern ?? null,
          webhooks: Object.fromEntries(s.webhooks.map((w) => [w.code, [w.url, w.eventTypes]])),
        },
      ]),
    ),
    metrics: Object.fromEntries(
      metrics.map((m) => [
        m.xmlid,
        { service: m.serviceXmlid, code: m.code, aggregation: m.aggregation, field_name: m.fieldName ?? null, recurring: m.recurring, filters: m.filters },
      ]),
    ),
    products: Object.fromEntries(
      products.map((p) => [p.xmlid, { code: p.code, list_price: p.listPrice }]),
    ),
    plans: Object.fromEntries(
      plans.map((p) => [
        p.xmlid,
        {
          code: p.code,
          service: p.serviceXmlid,
          interval: p.interval,
          currency: p.currency,
          amount: p.amount,
          pay_in_advance: p.payInAdvance,
          bill_charges_monthly: p.billChargesMonthly,
          trial_period: p.trialPeriod,
          minimum_commitment: p.minimumCommitment,
          line_products: [productCodeOf.get(p.productXmlid), ...p.charges.map((c) => productCodeOf.get(c.productXmlid))],
          charges: Object.fromEntries(
            p.charges.map((c) => [c.code, [metricCodeOf.get(c.metricXmlid), c.model, productCodeOf.get(c.productXmlid), c.properties]]),
          ),
        },
      ]),
    ),
  };
}

function pricingExamples(ir: BillingIR) {
  return ir.catalog.plans.flatMap((plan) =>
    plan.charges.flatMap((charge) =>
      charge.examples.map((e) => [charge.xmlid, e.units, e.eventsCount ?? null, e.eventValues ?? null, e.amount, e.where]),
    ),
  );
}
