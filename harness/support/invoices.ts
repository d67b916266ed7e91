// An Odoo invoice as the scenarios check it: its move, product lines, taxes, and amounts in
// integer cents per product code (the "[CODE] name" Odoo shows), read over JSON-2.
import type { OdooClient } from '../clients/json2.ts';
import { centsOfOdooAmount } from './money.ts';

interface Row {
  id: number;
  [field: string]: unknown;
}

export interface InvoiceView {
  move: Row & { amount_untaxed: number; amount_tax: number; amount_total: number };
  lines: (Row & { product_id: [number, string]; name: string; price_subtotal: number; tax_ids: number[]; quantity: number })[];
  /** Untaxed cents per product code, lines of one product added up. */
  byCode: Record<string, bigint>;
  taxNames: string[];
  untaxed: bigint;
  tax: bigint;
  total: bigint;
}

export async function invoiceOf(odoo: OdooClient, invoiceId: number): Promise<InvoiceView> {
  const [move] = await odoo.searchRead<InvoiceView['move']>(
    'account.move',
    [['id', '=', invoiceId]],
    [
      'state',
      'move_type',
      'currency_id',
      'fiscal_position_id',
      'partner_id',
      'reversed_entry_id',
      'amount_untaxed',
      'amount_tax',
      'amount_total',
    ],
  );
  const lines = await odoo.searchRead<InvoiceView['lines'][number]>(
    'account.move.line',
    [
      ['move_id', '=', invoiceId],
      ['display_type', '=', 'product'],
    ],
    ['product_id', 'name', 'quantity', 'price_unit', 'price_subtotal', 'tax_ids'],
  );
  const taxes = await odoo.searchRead<Row & { name: string }>(
    'account.tax',
    [['id', 'in', [...new Set(lines.flatMap((line) => line.tax_ids))]]],
    ['name'],
  );
  const byCode: Record<string, bigint> = {};
  for (const line of lines) {
    const code = /^\[([^\]]+)\]/.exec(line.product_id[1])?.[1] ?? line.product_id[1];
    byCode[code] = (byCode[code] ?? 0n) + centsOfOdooAmount(line.price_subtotal);
  }
  return {
    move: move!,
    lines,
    byCode,
    taxNames: taxes.map((tax) => tax.name),
    untaxed: centsOfOdooAmount(move!.amount_untaxed),
    tax: centsOfOdooAmount(move!.amount_tax),
    total: centsOfOdooAmount(move!.amount_total),
  };
}
