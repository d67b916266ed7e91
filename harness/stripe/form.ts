// Stripe's form encoding: bracketed keys (`a[b][c]=v`, `list[]=v`, `list[0]=v`) in
// application/x-www-form-urlencoded bodies and query strings, as payment_stripe (via `requests`)
// and Stripe's own libraries send them.

export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type FormObject = { [key: string]: FormValue };

/** Nested params of a form-encoded text; repeated plain keys keep the last value, like Rails. */
export function decodeStripeForm(text: string): FormObject {
  const root: FormObject = {};
  for (const [key, value] of new URLSearchParams(text)) assign(root, keyPath(key), value);
  return root;
}

/** Form-encodes nested params the way Stripe's libraries do (`a[b]=v`, arrays as `a[0]=v`). */
export function encodeStripeForm(params: Record<string, unknown>): string {
  const pairs: [string, string][] = [];
  const walk = (prefix: string, value: unknown): void => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) value.forEach((item, index) => walk(`${prefix}[${index}]`, item));
    else if (typeof value === 'object') for (const [key, item] of Object.entries(value)) walk(`${prefix}[${key}]`, item);
    else pairs.push([prefix, String(value)]);
  };
  for (const [key, value] of Object.entries(params)) walk(key, value);
  return new URLSearchParams(pairs).toString();
}

/** `a[b][]` → ['a', 'b', '']; a key without brackets is one segment. */
function keyPath(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0 || !key.endsWith(']')) return [key];
  return [key.slice(0, open), ...key.slice(open + 1, -1).split('][')];
}

function assign(target: FormObject | FormValue[], path: string[], value: string): void {
  const [head, ...rest] = path as [string, ...string[]];
  if (Array.isArray(target)) {
    // `[]` appends; `[N]` addresses an index (Stripe's libraries send arrays of objects that way).
    const index = head === '' ? target.length : Number(head);
    if (rest.length === 0) target[index] = value;
    else {
      target[index] ??= container(rest[0]!);
      assign(target[index] as FormObject | FormValue[], rest, value);
    }
    return;
  }
  if (rest.length === 0) {
    target[head] = value;
    return;
  }
  let child = target[head];
  if (child === undefined || typeof child === 'string') {
    child = container(rest[0]!);
    target[head] = child;
  }
  assign(child, rest, value);
}

function container(nextSegment: string): FormObject | FormValue[] {
  return nextSegment === '' || /^\d+$/.test(nextSegment) ? [] : {};
}

/** Stripe booleans: payment_stripe sends Python's `True`/`False`, libraries send `true`/`false`. */
export function formBoolean(value: FormValue | undefined): boolean | undefined {
  if (typeof value !== 'string') return undefined;
  if (/^true$/i.test(value)) return true;
  if (/^false$/i.test(value)) return false;
  return undefined;
}

/** A list param given as `x[]=a`, `x[0]=a` or a single `x=a`. */
export function formList(value: FormValue | undefined): string[] {
  if (value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

export function formString(value: FormValue | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
