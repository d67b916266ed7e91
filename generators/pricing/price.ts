// `fusion-billing price`: offline pricing through the same pure-Python rating core the module runs.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { BillingIR, PlanIR } from '../ir/types.ts';

export class PricingError extends Error {}

/** python3 with the rating core importable (the core needs only the standard library). */
function runCore(args: string[], input: unknown, repoRoot: string) {
  const result = spawnSync(process.env.FUSION_BILLING_PYTHON ?? 'python3', ['-m', 'fusion_billing.rating', ...args], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: join(repoRoot, 'python') },
  });
  if (result.error) throw new PricingError(`cannot run python3: ${result.error.message}`);
  return result;
}

function planRequest(plan: PlanIR) {
  return {
    code: plan.code,
    charges: plan.charges.map((c) => ({ code: c.code, metric_code: c.metricCode, charge_model: c.model, properties: c.properties })),
  };
}

/** Prices `usage` ({metric_code: {units, events_count?, event_values?}}) against a plan of the spec. */
export function pricePlan(
  ir: BillingIR,
  planCode: string,
  usage: unknown,
  repoRoot: string,
): { status: number; stdout: string; stderr: string } {
  const plan = ir.catalog.plans.find((p) => p.code === planCode);
  if (!plan) {
    throw new PricingError(`unknown plan '${planCode}'; plans: ${ir.catalog.plans.map((p) => p.code).join(', ')}`);
  }
  const result = runCore(
    ['price'],
    { currency: plan.currency, currency_exponent: plan.currencyExponent, plan: planRequest(plan), usage },
    repoRoot,
  );
  return { status: result.status ?? 2, stdout: result.stdout, stderr: result.stderr };
}

/** Checks every pricing example of the spec through the core. */
export function checkPricingExamples(ir: BillingIR, repoRoot: string): { status: number; stdout: string; stderr: string; count: number } {
  const examples = ir.catalog.plans.flatMap((plan) =>
    plan.charges.flatMap((charge) =>
      charge.examples.map((e) => ({
        charge_model: charge.model,
        properties: charge.properties,
        units: e.units,
        ...(e.eventsCount !== undefined ? { events_count: e.eventsCount } : {}),
        ...(e.eventValues !== undefined ? { event_values: e.eventValues } : {}),
        currency_exponent: plan.currencyExponent,
        expected_amount: e.amount,
        where: e.where,
      })),
    ),
  );
  const result = runCore(['price', '--examples'], { examples }, repoRoot);
  return { status: result.status ?? 2, stdout: result.stdout, stderr: result.stderr, count: examples.length };
}
