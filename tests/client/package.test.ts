// The generated package as an application uses it: its compiled ESM loads in Node, and an
// application type-checks against its declarations (dist/*.d.ts), wrong events refused.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = new URL('../..', import.meta.url).pathname;
const DIST = join(REPO, 'out/client/dist/index.js');

describe('the generated client package', () => {
  it('loads as ESM and builds Lago’s events', async () => {
    const client = await import(DIST);
    expect(client.nexacloud.metricCodes).toEqual(['nc_api_requests', 'nc_storage_gb', 'nc_egress_gb', 'nc_peak_vcpu']);
    expect(client.ncEgressGb({ transactionId: 't', externalSubscriptionId: 's', timestamp: 5, properties: { gb: '1.5' } })).toEqual({
      transaction_id: 't',
      external_subscription_id: 's',
      code: 'nc_egress_gb',
      timestamp: 5,
      properties: { gb: '1.5' },
    });
  });

  it('type-checks an application against its declarations, refusing a wrong event', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fb-client-app-'));
    writeFileSync(join(dir, 'package.json'), '{"type": "module"}\n');
    writeFileSync(
      join(dir, 'app.ts'),
      [
        `import { nexacloud } from ${JSON.stringify(DIST)};`,
        `export const ok = nexacloud.events.ncEgressGb({ transactionId: 'a', externalSubscriptionId: 'b', properties: { gb: 1 } });`,
        `export const wrong = nexacloud.events.ncApiRequests({ transactionId: 'a', externalSubscriptionId: 'b', properties: { region: 'mars' } });`,
      ].join('\n'),
    );
    const tsc = join(REPO, 'node_modules/.bin/tsc');
    let output = '';
    try {
      execFileSync(
        tsc,
        [
          '--strict',
          '--module',
          'nodenext',
          '--moduleResolution',
          'nodenext',
          '--target',
          'es2022',
          '--lib',
          'es2022,dom',
          '--types',
          'node',
          '--typeRoots',
          join(REPO, 'node_modules/@types'),
          '--noEmit',
          'app.ts',
        ],
        { cwd: dir, encoding: 'utf8' },
      );
    } catch (error) {
      output = String((error as { stdout?: string }).stdout);
    }
    // Exactly one error: the filter value, on line 3.
    expect(output.trim().split('\n')).toEqual([
      expect.stringMatching(/^app\.ts\(3,.*'"mars"' is not assignable to type '"ca-central" \| "us-east" \| undefined'/),
    ]);
  }, 30_000);
});
