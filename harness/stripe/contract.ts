// Checks the requests Odoo's payment_stripe sent to the stateful mock against Stripe's own
// `stripe/stripe-mock` (generated from Stripe's OpenAPI document: it refuses unknown parameters and
// malformed values), where that image can be had. The stateful mock keeps the scripted outcomes;
// this checks that what Odoo sends is what Stripe's API accepts.
import { spawnSync } from 'node:child_process';
import { GenericContainer, Wait } from 'testcontainers';
import { newSessionId, removeSessionSync, sessionLabels } from '../containers/engine.ts';
import { imageExists } from '../containers/images.ts';
import { findFreePort } from '../runtime/free-port.ts';
import type { RecordedRequest } from './mock.ts';

export const STRIPE_MOCK_IMAGE = process.env.FUSION_STRIPE_MOCK_IMAGE || 'stripe/stripe-mock:latest';

export interface ContractProblem {
  request: string;
  status: number;
  message: string;
}

export type ContractCheck = { checked: false; reason: string } | { checked: true; requests: number; problems: ContractProblem[] };

/** Replays `requests` against stripe-mock; `checked: false` says why it could not run (no Docker, no image). */
export async function checkAgainstStripeMock(requests: RecordedRequest[]): Promise<ContractCheck> {
  if (spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 15_000 }).status !== 0)
    return { checked: false, reason: 'no Docker engine' };
  if (!imageExists(STRIPE_MOCK_IMAGE)) {
    const pulled = spawnSync('docker', ['pull', STRIPE_MOCK_IMAGE], { encoding: 'utf8', timeout: 180_000 });
    if (pulled.status !== 0)
      return {
        checked: false,
        reason: `${STRIPE_MOCK_IMAGE} is not in the engine and cannot be pulled (${(pulled.stderr || '').trim().split('\n').pop()})`,
      };
  }
  const port = await findFreePort();
  // Labelled like every harness container: an interrupted run removes it (exit hook), a killed
  // one leaves it to the next run's sweep.
  const session = newSessionId();
  const removeOnExit = () => removeSessionSync(session);
  process.once('exit', removeOnExit);
  const container = await new GenericContainer(STRIPE_MOCK_IMAGE)
    .withNetworkMode('host')
    .withCommand(['-http-port', String(port)])
    .withLabels(sessionLabels(session))
    .withWaitStrategy(Wait.forLogMessage(/Listening for HTTP/))
    .start()
    .catch((error: unknown) => {
      removeOnExit();
      process.off('exit', removeOnExit);
      throw error;
    });
  try {
    const problems: ContractProblem[] = [];
    for (const request of requests) {
      const url = `http://127.0.0.1:${port}${request.path}${request.query ? `?${request.query}` : ''}`;
      const response = await fetch(url, {
        method: request.method,
        headers: {
          Authorization: 'Bearer sk_test_123',
          'Content-Type': 'application/x-www-form-urlencoded',
          ...(request.stripeVersion ? { 'Stripe-Version': request.stripeVersion } : {}),
        },
        body: request.method === 'GET' ? undefined : request.body,
      });
      // 404: an object id of the stateful mock, which stripe-mock does not hold (it answers fixtures
      // for ids it knows): only validation errors (400) say that the request itself is wrong.
      if (response.status === 400) {
        const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
        problems.push({ request: `${request.method} ${request.path}`, status: response.status, message: body.error?.message ?? '' });
      }
    }
    return { checked: true, requests: requests.length, problems };
  } finally {
    await container.stop().catch(() => {});
    process.off('exit', removeOnExit);
  }
}
