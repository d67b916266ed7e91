// Usage sent while its period is being closed is billed or flagged late, never lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBillingServer, type BillingServer } from '../runtime/billing-server.ts';
import { closeRaceRound } from '../support/close-race.ts';

describe('ingestion racing a period close', () => {
  let billing: BillingServer;

  beforeAll(async () => {
    billing = await startBillingServer({ db: 'accept_close_race', services: ['nexacloud'] });
  });

  afterAll(() => billing?.stop());

  it('loses no event: each one sent during the close is either billed or flagged late', async () => {
    expect(await closeRaceRound(billing, 1)).toBe(0);
    expect(await closeRaceRound(billing, 2)).toBe(0);
  });
});
