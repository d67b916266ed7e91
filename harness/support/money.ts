// Exact money for the scenarios: decimal strings and integer cents as BigInt, never float math.
// Rounding is half-up (away from zero), Lago's and the module's rule for amounts.

/** A decimal number as coefficient × 10^-scale. */
export interface Decimal {
  coefficient: bigint;
  scale: number;
}

export function dec(text: string | number | bigint): Decimal {
  // A JS number is only accepted when it is an integer: its text is then exact.
  if (typeof text === 'number' && !Number.isSafeInteger(text)) throw new TypeError(`dec(${text}): pass non-integers as decimal strings`);
  const value = String(text).trim();
  const match = /^([-+]?)(\d+)(?:\.(\d+))?$/.exec(value);
  if (!match) throw new TypeError(`not a decimal: ${JSON.stringify(value)}`);
  const [, sign, whole, fraction = ''] = match;
  const coefficient = BigInt(`${whole}${fraction}`);
  return { coefficient: sign === '-' ? -coefficient : coefficient, scale: fraction.length };
}

function rescale(value: Decimal, scale: number): bigint {
  return value.coefficient * 10n ** BigInt(scale - value.scale);
}

export function add(...values: Decimal[]): Decimal {
  const scale = Math.max(0, ...values.map((value) => value.scale));
  return { coefficient: values.reduce((total, value) => total + rescale(value, scale), 0n), scale };
}

export function mul(a: Decimal, b: Decimal): Decimal {
  return { coefficient: a.coefficient * b.coefficient, scale: a.scale + b.scale };
}

export function compare(a: Decimal, b: Decimal): number {
  const scale = Math.max(a.scale, b.scale);
  const difference = rescale(a, scale) - rescale(b, scale);
  return difference === 0n ? 0 : difference > 0n ? 1 : -1;
}

/** numerator / denominator rounded half-up to an integer. */
export function divRoundHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new RangeError('division by zero');
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const rounded = (2n * n + d) / (2n * d);
  return negative ? -rounded : rounded;
}

/** numerator / denominator rounded up (ceiling) to an integer, for positive operands. */
export function divCeil(numerator: bigint, denominator: bigint): bigint {
  if (numerator <= 0n) return 0n;
  return (numerator + denominator - 1n) / denominator;
}

/** A decimal amount in cents, rounded half-up. */
export function toCents(amount: Decimal): bigint {
  if (amount.scale <= 2) return rescale(amount, 2);
  return divRoundHalfUp(amount.coefficient, 10n ** BigInt(amount.scale - 2));
}

/** The first `digits` decimals of numerator / denominator, truncated (for comparing long units). */
export function ratioToFixed(numerator: bigint, denominator: bigint, digits: number): string {
  const scaled = (numerator * 10n ** BigInt(digits)) / denominator;
  return formatScaled(scaled, digits);
}

/** "123.45" for 12345n. */
export function formatCents(cents: bigint): string {
  return formatScaled(cents, 2);
}

function formatScaled(value: bigint, digits: number): string {
  const negative = value < 0n;
  const text = (negative ? -value : value).toString().padStart(digits + 1, '0');
  const whole = text.slice(0, text.length - digits);
  return `${negative ? '-' : ''}${whole}${digits ? `.${text.slice(text.length - digits)}` : ''}`;
}

/**
 * Cents of a monetary value Odoo sent as a JSON number (it has no other way). The number is
 * converted back to the shortest text that reads as the same double, which is the text Python
 * wrote (repr), and parsed as a decimal: no float arithmetic touches it. Refuses more than two
 * decimals, which would mean the value was not a rounded amount.
 */
export function centsOfOdooAmount(amount: number): bigint {
  if (!Number.isFinite(amount)) throw new TypeError(`not an amount: ${amount}`);
  const text = String(amount);
  if (/e/i.test(text)) throw new TypeError(`amount out of range: ${text}`);
  const value = dec(text);
  if (value.scale > 2) throw new RangeError(`${text} is not a whole number of cents`);
  return rescale(value, 2);
}
