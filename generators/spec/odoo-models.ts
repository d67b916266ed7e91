// Odoo models a spec may point at (comodels outside the module), and the ones the generated tests can build.
// The model names of the Odoo 19 modules the addon depends on, written down by hand (a curated list of
// names only, not Odoo code): a comodel outside this table is a typo or a dependency the addon lacks.

const BY_MODULE: Record<string, string> = {
  base:
    'res.partner res.partner.category res.partner.industry res.partner.title res.partner.bank res.bank res.users res.users.log ' +
    'res.groups res.company res.currency res.currency.rate res.country res.country.state res.country.group res.lang ' +
    'res.config.settings ir.model ir.model.fields ir.model.data ir.model.access ir.rule ir.attachment ir.cron ' +
    'ir.sequence ir.ui.view ir.ui.menu ir.actions.actions ir.actions.act_window ir.actions.server ir.actions.report ' +
    'ir.config_parameter ir.default ir.filters ir.property ir.module.module ir.module.category uom.uom uom.category',
  mail:
    'mail.message mail.message.subtype mail.followers mail.activity mail.activity.type mail.template mail.mail ' +
    'mail.alias mail.thread mail.activity.mixin mail.compose.message discuss.channel mail.notification',
  product:
    'product.product product.template product.category product.pricelist product.pricelist.item ' +
    'product.attribute product.attribute.value product.template.attribute.line product.template.attribute.value ' +
    'product.supplierinfo product.packaging product.tag',
  sale: 'sale.order sale.order.line sale.report sale.advance.payment.inv crm.team',
  sale_management: 'sale.order.template sale.order.template.line sale.order.template.option sale.order.option',
  account:
    'account.move account.move.line account.account account.journal account.tax account.tax.group account.tax.repartition.line ' +
    'account.payment account.payment.term account.payment.term.line account.payment.method account.payment.method.line ' +
    'account.fiscal.position account.fiscal.position.tax account.fiscal.position.account account.analytic.account ' +
    'account.analytic.line account.analytic.plan account.bank.statement account.bank.statement.line account.full.reconcile ' +
    'account.partial.reconcile account.incoterms account.cash.rounding account.group account.reconcile.model',
  payment: 'payment.provider payment.method payment.token payment.transaction payment.link.wizard',
  payment_stripe: 'payment.provider payment.transaction payment.token',
};

/** Every known Odoo model name (sorted), for "did you mean" on a mistyped comodel. */
export const ODOO_MODELS: readonly string[] = [...new Set(Object.values(BY_MODULE).flatMap((names) => names.split(' ')))].sort();

/**
 * How generated tests obtain a record of a model the module does not define (Python, in a factory
 * where `company` is the target company and `n` a counter). A required many2one to any other Odoo
 * model needs a `sample` in the spec.
 */
export const TEST_FACTORIES: Readonly<Record<string, string>> = {
  'res.company': 'company.id',
  'res.currency': 'company.currency_id.id',
  'res.partner': "cls.env['res.partner'].create({'name': f'Partner {n}', 'company_id': company.id}).id",
  'product.product': "cls.env['product.product'].create({'name': f'Product {n}', 'type': 'service'}).id",
  'sale.order.template': "cls.env['sale.order.template'].create({'name': f'Plan {n}', 'company_id': company.id}).id",
  'sale.order':
    "cls.env['sale.order'].create({'partner_id': cls.env['res.partner'].create({'name': f'Customer {n}'}).id, 'company_id': company.id}).id",
};
