// The module's own Odoo tests, derived from the spec: constraints, access matrix, company isolation, catalog.
import type { BillingIR, FactoryIR } from '../ir/types.ts';
import type { Emitter } from './types.ts';

export const emitOdooTests: Emitter = ({ ir, render, header, staticModules }) => {
  const root = ir.module.technicalName;
  const dir = `${root}/tests`;
  return [
    {
      path: `${dir}/__init__.py`,
      content: render('module/init.py.hbs', {
        header,
        imports: ['test_constraints', 'test_access', 'test_catalog', 'test_pricing_examples', ...staticTests(staticModules)],
      }),
    },
    { path: `${dir}/common.py`, content: render('module/tests/common.py.hbs', { header, factories: factories(ir) }) },
    {
      path: `${dir}/test_constraints.py`,
      content: render('module/tests/test_constraints.py.hbs', { header, ...ir.module.constraintCases }),
    },
    { path: `${dir}/test_access.py`, content: render('module/tests/test_access.py.hbs', { header, ...accessTests(ir) }) },
    {
      path: `${dir}/test_catalog.py`,
      content: render('module/tests/test_catalog.py.hbs', { header, module: root, ...catalogExpectations(ir) }),
    },
    {
      path: `${dir}/test_pricing_examples.py`,
      content: render('module/tests/test_pricing_examples.py.hbs', { header, module: root, examples: pricingExamples(ir) }),
    },
  ];
};

/** Hand-written Odoo tests (python/<module>/tests/test_*.py) run beside the generated ones. */
function staticTests(staticModules: readonly string[]): string[] {
  return staticModules.filter((m) => /^tests\/test_[a-z0-9_]+\.py$/.test(m)).map((m) => m.slice('tests/'.length, -3));
}

function factories(ir: BillingIR) {
  const of = (model: string, factory: FactoryIR) => ({ ...factory, model, ownCompany: factory.companyField === 'own' });
  return [...ir.module.models.map((m) => of(m.name, m.factory)), ...ir.module.extensions.map((e) => of(e.model, e.factory))];
}

/** The users, the rights each has, and the models to check them on (the matrix is the IR's). */
function accessTests(ir: BillingIR) {
  const { users, models } = ir.module.accessMatrix;
  const readerOf = new Map(models.map((m) => [m.model, m.reader]));
  return {
    expected: Object.fromEntries(models.map((m) => [m.model, m.rights])),
    users,
    accessTests: ir.module.models.map((m) => ({
      short: m.shortName,
      model: m.name,
      factory: m.factory.method,
      userKeys: users.map((u) => u.key),
    })),
    companyTests: ir.module.models
      .filter((m) => m.rule && readerOf.get(m.name))
      .map((m) => ({ short: m.shortName, model: m.name, factory: m.factory.method, reader: readerOf.get(m.name) })),
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
        {
          service: m.serviceXmlid,
          code: m.code,
          aggregation: m.aggregation,
          field_name: m.fieldName ?? null,
          recurring: m.recurring,
          filters: m.filters,
        },
      ]),
    ),
    products: Object.fromEntries(products.map((p) => [p.xmlid, { code: p.code, list_price: p.listPrice }])),
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
