// What the scenarios hold of a helper service running in its own process or container: the same
// calls as the in-process objects, asynchronous (every one crosses the control API, rpc.ts).
import type { ChargeOutcome, PaymentIntentEventType, RecordedRequest, SeedCustomer, SentWebhook } from '../stripe/mock.ts';
import type { PaymentIntentJson } from '../stripe/objects.ts';
import type { Received, ReceiverMode } from '../webhooks/receiver.ts';
import type { LagoKeys } from '../webhooks/verifier.ts';
import { RemoteCaller } from './rpc.ts';

export const STRIPE_MOCK_METHODS = [
  'seedCustomer',
  'queueOutcome',
  'requestsTo',
  'paymentIntentsOf',
  'getPaymentIntent',
  'settlePaymentIntent',
  'sendPaymentIntentEvent',
  'recordedRequests',
] as const;
export const RECEIVER_METHODS = ['start', 'stop', 'setMode', 'setKeys', 'receivedSoFar', 'settled', 'dedupSize'] as const;

/** A process or container running one service, with how to stop it. */
export interface ServiceProcess {
  control: string;
  info: Record<string, unknown>;
  stop(): Promise<void>;
}

export class StripeMockHandle {
  private readonly remote: RemoteCaller;
  /** Stripe's API root on the mock (the value of fusion_billing_stripe_mock.base_url). */
  readonly baseUrl: string;
  readonly url: string;
  readonly webhookSecret: string;

  constructor(private readonly service: ServiceProcess) {
    this.remote = new RemoteCaller(service.control);
    this.baseUrl = String(service.info.baseUrl);
    this.url = String(service.info.url);
    this.webhookSecret = String(service.info.webhookSecret);
  }

  seedCustomer(seed: SeedCustomer): Promise<void> {
    return this.remote.call('seedCustomer', seed);
  }

  queueOutcome(outcome: ChargeOutcome, scope: { customer?: string } = {}): Promise<void> {
    return this.remote.call('queueOutcome', outcome, scope);
  }

  requestsTo(method: string, pathPrefix: string): Promise<RecordedRequest[]> {
    return this.remote.call('requestsTo', method, pathPrefix);
  }

  /** Every request the mock answered, in order. */
  requests(): Promise<RecordedRequest[]> {
    return this.remote.call('recordedRequests');
  }

  paymentIntentsOf(customer: string): Promise<PaymentIntentJson[]> {
    return this.remote.call('paymentIntentsOf', customer);
  }

  getPaymentIntent(id: string): Promise<PaymentIntentJson | undefined> {
    return this.remote.call('getPaymentIntent', id);
  }

  settlePaymentIntent(id: string, outcome: ChargeOutcome): Promise<PaymentIntentJson> {
    return this.remote.call('settlePaymentIntent', id, outcome);
  }

  sendPaymentIntentEvent(
    url: string,
    type: PaymentIntentEventType,
    paymentIntentId: string,
    options: { timestamp?: number; secret?: string } = {},
  ): Promise<SentWebhook> {
    return this.remote.call('sendPaymentIntentEvent', url, type, paymentIntentId, options);
  }

  stop(): Promise<void> {
    return this.service.stop();
  }
}

export class ReceiverHandle {
  private readonly remote: RemoteCaller;
  readonly url: string;
  /** The keys it verifies with (kept here too, for the scenarios' own checks). */
  keys: LagoKeys & { secret: string } = { secret: '' };

  constructor(private readonly service: ServiceProcess) {
    this.remote = new RemoteCaller(service.control);
    this.url = String(service.info.url);
  }

  async setKeys(keys: LagoKeys & { secret: string }): Promise<void> {
    this.keys = keys;
    await this.remote.call('setKeys', keys);
  }

  setMode(mode: ReceiverMode): Promise<void> {
    return this.remote.call('setMode', mode);
  }

  /** Up again on the same port (after down()). */
  up(): Promise<void> {
    return this.remote.call('start');
  }

  /** Down: the port refuses connections until up(). */
  down(): Promise<void> {
    return this.remote.call('stop');
  }

  /** Every request received so far, in arrival order. */
  received(): Promise<Received[]> {
    return this.remote.call('receivedSoFar');
  }

  /** Resolves once every slow answer has been sent. */
  settled(): Promise<void> {
    return this.remote.call('settled');
  }

  /** How many unique keys the receiver's dedup layer has admitted. */
  dedupSize(): Promise<number> {
    return this.remote.call('dedupSize');
  }

  stop(): Promise<void> {
    return this.service.stop();
  }
}
