// Odoo naming rules in one place.

/** `fusion.billing.account.link` → `FusionBillingAccountLink`. */
export function className(model: string): string {
  return model
    .split('.')
    .map((part) => part.split('_').map(capitalize).join(''))
    .join('');
}

/** A spec code as a TypeScript value name: `nc_api_requests` → `ncApiRequests`. */
export function camelName(code: string): string {
  const name = className(code);
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** Odoo's table (and model XML id suffix) for a model name. */
export function tableName(model: string): string {
  return model.replace(/\./g, '_');
}

/** The part after the module prefix: `fusion.billing.account.link` → `account_link`. */
export function shortName(model: string, technicalName: string): string {
  const prefix = `${technicalName.replace(/_/g, '.')}.`;
  return tableName(model.startsWith(prefix) ? model.slice(prefix.length) : model);
}

/** Field label as Odoo derives it when `string` is absent: `currency_id` → `Currency`. */
export function defaultLabel(field: string): string {
  const base = field.replace(/_ids?$/, '');
  return capitalize(base.replace(/_/g, ' '));
}

/** A string usable in an XML id: lowercase, underscores. */
export function xmlidPart(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9_]+/g, '_');
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
