// Profiles POST /api/v1/events/batch inside one Odoo process (cProfile around Odoo's WSGI
// application, driven in-process by werkzeug's test client) and prints the hottest functions:
//   npx tsx harness/dev/profile-ingest.ts [--batch 100] [--requests 200] [--sort tottime|cumulative]
import { okBody } from '../clients/lago.ts';
import { numberOption } from '../bench/load.ts';
import { startBillingServer } from '../runtime/billing-server.ts';

const args = process.argv.slice(2);
const batchSize = numberOption(args, 'batch', 100);
const requests = numberOption(args, 'requests', 200);
const sortIndex = args.indexOf('--sort');
const sort = sortIndex >= 0 ? args[sortIndex + 1] : 'tottime';

const billing = await startBillingServer({ db: 'profile_ingest', services: ['nexacloud'] });
try {
  const lago = billing.lago('nexacloud');
  okBody(
    await lago.upsertCustomer({ external_id: 'tnt_profile', name: 'Profile', country: 'CA', state: 'ON', timezone: 'UTC' }),
    'POST /customers',
  );
  const now = new Date();
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
  okBody(
    await lago.createSubscription({
      external_customer_id: 'tnt_profile',
      plan_code: 'nexacloud_pro',
      external_id: 'profile_sub',
      subscription_at: monthStart,
    }),
    'POST /subscriptions',
  );
  const script = `
import cProfile, io, json, pstats, time
from werkzeug.test import Client
from odoo.http import root

client = Client(root)
headers = {'Authorization': 'Bearer ${billing.serviceKeys.nexacloud}', 'Content-Type': 'application/json', 'X-Odoo-Database': '${billing.db}'}
def send(prefix, number):
    events = [{'transaction_id': f'{prefix}-{number}-{index}', 'external_subscription_id': 'profile_sub',
               'code': 'nc_api_requests', 'timestamp': int(time.time()),
               'properties': {'region': 'ca-central' if index % 2 else 'us-east'}} for index in range(${batchSize})]
    response = client.post('/api/v1/events/batch', data=json.dumps({'events': events}), headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
for number in range(20):
    send('warm', number)
profile = cProfile.Profile()
started = time.perf_counter()
profile.enable()
for number in range(${requests}):
    send('profiled', number)
profile.disable()
elapsed = time.perf_counter() - started
print(f'PROFILE {${requests}} requests x ${batchSize} events: {elapsed * 1000 / ${requests}:.2f} ms/request under cProfile')
out = io.StringIO()
stats = pstats.Stats(profile, stream=out).sort_stats('${sort}')
stats.print_stats(35)
print(out.getvalue())
# The statements of one request, with their mean time.
import collections, odoo.sql_db
timings = collections.defaultdict(lambda: [0, 0.0])
original = odoo.sql_db.Cursor.execute
def timed(self, query, params=None, log_exceptions=True):
    started = time.perf_counter()
    try:
        return original(self, query, params, log_exceptions)
    finally:
        entry = timings[' '.join(str(query).split())[:150]]
        entry[0] += 1
        entry[1] += time.perf_counter() - started
odoo.sql_db.Cursor.execute = timed
for number in range(${requests}):
    send('timed', number)
odoo.sql_db.Cursor.execute = original
for statement, (count, total) in sorted(timings.items(), key=lambda item: -item[1][1]):
    print(f'SQL {count / ${requests}:5.2f}/request {total * 1000 / ${requests}:6.2f} ms/request  {statement}')
out = io.StringIO()
print(out.getvalue())
`;
  console.log(await billing.runtime.shell(billing.db, script, 'profile'));
} finally {
  await billing.stop();
}
