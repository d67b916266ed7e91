// Builds the API scenarios' database (cached dependencies + fusion_billing) and prints timings;
// with --keep it leaves PostgreSQL and the database in place and says how to reach them.
//   npx tsx harness/dev/billing-db.ts [--refresh] [--keep]
import { prepareBillingDatabase } from '../runtime/billing-database.ts';
import { LocalRuntime } from '../runtime/local.ts';

const args = process.argv.slice(2);
const runtime = new LocalRuntime({ keep: args.includes('--keep') });
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

try {
  const started = performance.now();
  await runtime.start((message) => console.log(`  ${message}`));
  console.log(`TIMING postgres start: ${seconds(performance.now() - started)}`);
  const { fromCache } = await prepareBillingDatabase(runtime, 'billing_dev', {
    refresh: args.includes('--refresh'),
    onStep: (step, ms) => console.log(`TIMING ${step}: ${seconds(ms)}`),
  });
  console.log(
    `database billing_dev ready (dependencies ${fromCache ? 'from cache' : 'built and cached'}) in ${seconds(performance.now() - started)}`,
  );
} finally {
  await runtime.stop();
}
