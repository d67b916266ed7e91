// fusion_billing's lago_ids are UUIDs that hold the model and the record id (python
// fusion_billing/lago/ids.py): a version 8 UUID with the database's 48-bit prefix, the model's
// number and the record id in the low 62 bits. The scenarios read record ids back from them.
const MODEL_NUMBERS: Record<string, number> = {
  'res.company': 1,
  'fusion.billing.account.link': 2,
  'sale.order': 3,
  'account.move': 4,
  'fusion.billing.usage': 5,
  'fusion.billing.metric': 6,
  'fusion.billing.charge': 7,
  'sale.order.template': 8,
  'account.move.line': 9,
  'account.tax': 10,
  'fusion.billing.webhook': 11,
  'fusion.billing.alert': 12,
};

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The Odoo record id a lago_id of `model` holds; throws when it is no such id. */
export function recordIdOf(lagoId: string, model: keyof typeof MODEL_NUMBERS | string): number {
  if (!UUID_PATTERN.test(lagoId)) throw new Error(`not a fusion_billing lago_id: ${lagoId}`);
  const hex = lagoId.replace(/-/g, '');
  const value = BigInt(`0x${hex}`);
  const modelNumber = Number((value >> 64n) & 0xfffn);
  if (modelNumber !== MODEL_NUMBERS[model]) throw new Error(`${lagoId} is not a ${model} id (model number ${modelNumber})`);
  return Number(value & ((1n << 62n) - 1n));
}
