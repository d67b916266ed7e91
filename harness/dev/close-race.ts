// Regression check of the race between ingestion and period close: events of a period being
// closed, stored while the close runs, must each be billed or flagged late, never lost.
//   npx tsx harness/dev/close-race.ts [--rounds 3]
// Exit 1 when events were lost in any round.
import { numberOption } from '../bench/load.ts';
import { startBillingServer } from '../runtime/billing-server.ts';
import { closeRaceRound } from '../support/close-race.ts';

const rounds = numberOption(process.argv.slice(2), 'rounds', 3);
const billing = await startBillingServer({ db: 'close_race', services: ['nexacloud'] });
let lost = 0;
try {
  for (let index = 1; index <= rounds; index += 1) lost += await closeRaceRound(billing, index);
} finally {
  await billing.stop();
}
process.exit(lost > 0 ? 1 : 0);
