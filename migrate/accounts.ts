// `fusion-billing lago import-accounts`: Lago's customers and subscriptions → Odoo, one customer
// per JSON-2 call (one transaction: a customer is imported whole or not at all), through the
// module's own API handlers (fusion.billing.service.fusion_import_account).
import type { OdooClient } from '../harness/clients/json2.ts';
import type { LagoSource } from './lago-source.ts';

export interface ImportedSubscription {
  external_id: string;
  plan_code: string;
  billing_time: string;
  subscription_at: string | null;
  action: 'created' | 'unchanged' | 'skipped' | 'unsupported';
  reason?: string;
}

export interface ImportedAccount {
  external_id: string;
  action: 'created' | 'updated' | 'unchanged';
  partner: { id: number | null; name: string; resolution: 'new' | 'existing' | 'merged' | 'conflict'; matched_by: string | null; shared_with: string[]; conflict_with?: string };
  payment_method: { provider_customer_id: string; action: 'would_link' | 'linked' | 'unchanged' } | null;
  subscriptions: ImportedSubscription[];
}

export interface ImportFailure {
  external_id: string;
  error: string;
}

export interface AccountsImport {
  applied: boolean;
  accounts: ImportedAccount[];
  failures: ImportFailure[];
  /** Lago subscriptions to plans the spec does not give this service (import the catalog first). */
  unknownPlans: { external_id: string; plan_code: string }[];
  /** Lago customers with no subscription to a plan of the service: left alone. */
  otherCustomers: number;
}

export interface ImportAccountsOptions {
  service: string;
  /** The plan codes of the service in the spec. */
  planCodes: string[];
  apply: boolean;
  progress?: (line: string) => void;
}

export async function importAccounts(lago: LagoSource, odoo: OdooClient, options: ImportAccountsOptions): Promise<AccountsImport> {
  const progress = options.progress ?? (() => {});
  const [customers, subscriptions] = await Promise.all([lago.customers(), lago.subscriptions(['active', 'pending'])]);
  progress(`lago: ${customers.length} customer(s), ${subscriptions.length} active or pending subscription(s)`);
  const plans = new Set(options.planCodes);
  const result: AccountsImport = { applied: options.apply, accounts: [], failures: [], unknownPlans: [], otherCustomers: 0 };
  const byCustomer = new Map<string, typeof subscriptions>();
  for (const subscription of subscriptions) {
    if (!plans.has(subscription.plan_code)) {
      result.unknownPlans.push({ external_id: subscription.external_id, plan_code: subscription.plan_code });
      continue;
    }
    byCustomer.set(subscription.external_customer_id, [...(byCustomer.get(subscription.external_customer_id) ?? []), subscription]);
  }
  const ours = customers.filter((customer) => byCustomer.has(customer.external_id));
  result.otherCustomers = customers.length - ours.length;
  for (const [index, customer] of ours.entries()) {
    try {
      const report = await odoo.call<ImportedAccount>('fusion.billing.service', 'fusion_import_account', {
        service_code: options.service,
        customer,
        subscriptions: byCustomer.get(customer.external_id),
        apply: options.apply,
      });
      result.accounts.push(report);
    } catch (error) {
      result.failures.push({ external_id: customer.external_id, error: (error as Error).message.split('\n')[0]! });
    }
    if ((index + 1) % 10 === 0 || index + 1 === ours.length) progress(`odoo: ${index + 1} of ${ours.length} customer(s) ${options.apply ? 'imported' : 'checked (dry run)'}`);
  }
  return result;
}

/** Whether the import left something of Lago behind: failures, or unsupported subscriptions. */
export function importIncomplete(result: AccountsImport): { failures: number; unsupported: number } {
  return {
    failures: result.failures.length,
    unsupported: result.accounts.flatMap((a) => a.subscriptions).filter((s) => s.action === 'unsupported').length + result.unknownPlans.length,
  };
}

export function formatImport(result: AccountsImport): string[] {
  const lines: string[] = [];
  const count = (predicate: (a: ImportedAccount) => boolean) => result.accounts.filter(predicate).length;
  const subscriptions = result.accounts.flatMap((a) => a.subscriptions);
  const subCount = (action: ImportedSubscription['action']) => subscriptions.filter((s) => s.action === action).length;
  const verb = result.applied ? '' : 'would be ';
  lines.push(`customers: ${count((a) => a.action === 'created')} ${verb}created, ${count((a) => a.action === 'updated')} ${verb}updated, ${count((a) => a.action === 'unchanged')} unchanged, ${result.failures.length} failed`);
  lines.push(`subscriptions: ${subCount('created')} ${verb}created, ${subCount('unchanged')} unchanged, ${subCount('unsupported')} unsupported, ${subCount('skipped')} skipped`);
  for (const account of result.accounts) {
    const { partner } = account;
    if (partner.resolution === 'merged') lines.push(`  merge: ${account.external_id} → the partner of ${partner.shared_with.join(', ')} (same ${partner.matched_by})`);
    if (partner.resolution === 'conflict') lines.push(`  conflict: ${account.external_id} has the ${partner.matched_by} of ${partner.conflict_with}, another account of this service: a partner of its own`);
    if (account.payment_method) lines.push(`  card: ${account.external_id}: Stripe customer ${account.payment_method.provider_customer_id} ${account.payment_method.action.replace('_', ' ')}`);
    for (const s of account.subscriptions) {
      if (s.action === 'unsupported' || s.action === 'skipped') lines.push(`  ${s.action}: ${s.external_id} (${account.external_id}): ${s.reason}`);
    }
  }
  for (const s of result.unknownPlans) lines.push(`  unsupported: ${s.external_id}: plan ${s.plan_code} is not in the spec for this service (lago import-catalog)`);
  for (const f of result.failures) lines.push(`  failed: ${f.external_id}: ${f.error} (nothing of this customer was imported)`);
  if (result.otherCustomers) lines.push(`  ${result.otherCustomers} Lago customer(s) without a subscription to this service's plans: left alone`);
  return lines;
}
