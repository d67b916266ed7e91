// The event as Lago's API takes it, and what a service's typed constructors build it from.

/** A decimal written as a string ("0.5") or a finite number: what Lago's sums, maxima and latest values take. */
export type DecimalValue = number | `${number}`;

/** What every event carries besides its metric and properties. */
export interface EventInput {
  /** Unique per event: the API counts one transaction id once, so a retry can never count twice. */
  transactionId: string;
  /** The subscription's external id (Lago's external_subscription_id). */
  externalSubscriptionId: string;
  /** When the usage happened: a Date, or Unix seconds. Default: now. */
  timestamp?: Date | number;
}

/** An event in Lago's wire shape (POST /events, /events/batch), for metric `Code`. */
export interface UsageEvent<Code extends string = string> {
  transaction_id: string;
  external_subscription_id: string;
  code: Code;
  timestamp: number;
  properties?: Record<string, string | number>;
}

/** Builds the wire event; used by the generated constructors. */
export function usageEvent<Code extends string>(code: Code, input: EventInput, properties?: object): UsageEvent<Code> {
  if (!input.transactionId) throw new TypeError('an event needs a transactionId');
  if (!input.externalSubscriptionId) throw new TypeError('an event needs an externalSubscriptionId');
  const at = input.timestamp ?? new Date();
  const timestamp = at instanceof Date ? Math.floor(at.getTime() / 1000) : at;
  if (!Number.isFinite(timestamp)) throw new TypeError(`event ${input.transactionId}: timestamp is not a date`);
  const event: UsageEvent<Code> = { transaction_id: input.transactionId, external_subscription_id: input.externalSubscriptionId, code, timestamp };
  const given = Object.entries(properties ?? {}).filter(([, value]) => value !== undefined);
  if (given.length) event.properties = Object.fromEntries(given) as Record<string, string | number>;
  return event;
}
