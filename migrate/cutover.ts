// `fusion-billing lago cutover --service S`: the service goes live in Odoo only once its last
// closed periods reconciled with no open mismatch (checked in Odoo, where every write of the
// billing mode is guarded) and every Lago subscription of its plans is in Odoo; then the spec says
// `billing: {mode: live}` too, so that the next install or upgrade agrees.
import { isMap, isSeq, type YAMLMap } from 'yaml';
import { parseSpecDocument, printSpecDocument } from './spec-document.ts';
import type { OdooClient } from '../harness/clients/json2.ts';
import type { LagoSource } from './lago-source.ts';

export interface CutoverStatus {
  mode: 'shadow' | 'live';
  cutover_periods: number;
  blockers: string[];
}

export interface CutoverOptions {
  service: string;
  planCodes: string[];
  /** YYYY-MM: the first period Odoo bills (default: the current one). */
  fromPeriod?: string;
  /** Lago subscriptions that stay billed by Lago (not importable yet) do not block. */
  allowPartial?: boolean;
  apply: boolean;
}

export interface CutoverResult {
  status: CutoverStatus;
  /** Lago subscriptions of the service's plans that Odoo does not have. */
  notInOdoo: string[];
  switched: boolean;
}

export async function cutover(lago: LagoSource, odoo: OdooClient, options: CutoverOptions): Promise<CutoverResult> {
  const plans = new Set(options.planCodes);
  const lagoSubscriptions = (await lago.subscriptions(['active', 'pending'])).filter((s) => plans.has(s.plan_code));
  const odooSubscriptions = new Set((await odoo.searchRead<{ id: number; fusion_external_id: string }>('sale.order', [
    ['fusion_service_id.code', '=', options.service], ['fusion_external_id', '!=', false]], ['fusion_external_id'])).map((o) => o.fusion_external_id));
  const notInOdoo = lagoSubscriptions
    .filter((s) => !odooSubscriptions.has(s.external_id))
    .map((s) => `${s.external_id} (${s.external_customer_id}, ${s.billing_time} billing) is billed by Lago and not in Odoo`);
  const args = { service_code: options.service, ...(options.fromPeriod ? { from_period: options.fromPeriod } : {}) };
  let status = await odoo.call<CutoverStatus>('fusion.billing.service', 'fusion_cutover_status', args);
  const blocked = status.blockers.length > 0 || (notInOdoo.length > 0 && !options.allowPartial);
  if (status.mode === 'shadow' && !blocked && options.apply) {
    status = await odoo.call<CutoverStatus>('fusion.billing.service', 'fusion_cutover', args);
    return { status, notInOdoo, switched: status.mode === 'live' };
  }
  return { status, notInOdoo, switched: false };
}

/** The spec's text with `billing.mode` of `service` set to `mode` (comments and layout kept). */
export function setBillingMode(specText: string, service: string, mode: 'shadow' | 'live'): string {
  const doc = parseSpecDocument(specText);
  const services = doc.getIn(['catalog', 'services']);
  if (!isSeq(services)) throw new Error('the spec has no catalog.services list');
  const node = services.items.find((item) => isMap(item) && item.get('code') === service) as YAMLMap | undefined;
  if (!node) throw new Error(`the spec has no service ${service}`);
  const billing = node.get('billing', true);
  if (isMap(billing)) billing.set('mode', mode);
  else {
    const created = doc.createNode({ mode });
    (created as YAMLMap).flow = true;
    node.set('billing', created);
  }
  return printSpecDocument(doc);
}
