// The process of one helper service: `node --import tsx harness/services/entry.ts <kind> <options JSON>`.
// Starts it (the Stripe mock, or a webhook receiver), serves its control API on a free loopback port
// and prints one line, `SERVICE_READY {"control": <url>, "info": {...}}`. Stops on SIGTERM/SIGINT.
import { startStripeMock, type StripeMockOptions } from '../stripe/mock.ts';
import { Receiver } from '../webhooks/receiver.ts';
import { portOf, serveControl } from './rpc.ts';
import { RECEIVER_METHODS, STRIPE_MOCK_METHODS } from './handles.ts';

const [kind, optionsJson = '{}'] = process.argv.slice(2);
const options = JSON.parse(optionsJson) as Record<string, unknown>;

let target: object;
let methods: readonly string[];
let info: Record<string, unknown>;
let close: () => Promise<void>;
if (kind === 'stripe-mock') {
  const mock = await startStripeMock(options as StripeMockOptions);
  target = mock;
  methods = STRIPE_MOCK_METHODS;
  info = { url: mock.url, baseUrl: mock.baseUrl, webhookSecret: mock.webhookSecret };
  close = () => mock.stop();
} else if (kind === 'receiver') {
  const receiver = new Receiver();
  await receiver.start();
  target = receiver;
  methods = RECEIVER_METHODS;
  info = { url: receiver.url };
  close = () => receiver.stop();
} else {
  throw new Error(`unknown service kind ${kind}`);
}
const control = await serveControl(target, methods);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void close().finally(() => process.exit(0));
  });
}
console.log(`SERVICE_READY ${JSON.stringify({ control: `http://127.0.0.1:${portOf(control)}`, info })}`);
