// `fusion-billing price`: the spec's pricing examples and offline previews go through the pure-Python core.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers.ts';

function cli(...args: string[]) {
  return spawnSync(process.execPath, [join(REPO, 'bin/fusion-billing.mjs'), ...args], { cwd: REPO, encoding: 'utf8' });
}

function usageFile(usage: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'fb-price-')), 'usage.json');
  writeFileSync(file, JSON.stringify(usage));
  return file;
}

describe('fusion-billing price', () => {
  it('checks every pricing example of the spec through the rating core', () => {
    const r = cli('price', '--examples');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^24 examples, 0 failed$/m);
    expect(r.stdout).toContain('ok   spec/nexa.yaml:');
    expect(r.status).toBe(0);
  });

  it('prices a usage file against a plan with exact decimal strings and cents', () => {
    const r = cli(
      'price',
      '--plan',
      'nexacloud_pro',
      usageFile({
        nc_api_requests: { units: '1500000', events_count: 1500000 },
        nc_egress_gb: { units: '201' },
        nc_peak_vcpu: { units: '40' },
        nc_storage_gb: { units: '15.1612903226' },
      }),
    );
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    const fees = Object.fromEntries(out.fees.map((f: { charge_code: string }) => [f.charge_code, f]));
    expect(fees.api_requests.amount).toBe('485.00');
    expect(fees.egress.amount).toBe('10.00');
    expect(fees.peak_vcpu.amount).toBe('170.00');
    expect(fees.storage).toMatchObject({ amount: '1.82', amount_cents: 182 });
    expect(out.total_amount).toBe('666.82');
    expect(out.total_amount_cents).toBe(66682);
  });

  it('prices an unused metric at zero units (the first-tier flat fee still applies)', () => {
    const r = cli('price', '--plan', 'nexadesk_team', usageFile({}));
    const fees = JSON.parse(r.stdout).fees;
    expect(fees.find((f: { charge_code: string }) => f.charge_code === 'agents')).toMatchObject({ units: '0', amount: '49.00' });
  });

  it('reads JSON numbers as exact decimals, never through a float', () => {
    const r = cli('price', '--plan', 'nexacloud_pro', usageFile({ nc_storage_gb: { units: 15.1612903226 } }));
    const storage = JSON.parse(r.stdout).fees.find((f: { charge_code: string }) => f.charge_code === 'storage');
    expect(storage).toMatchObject({ units: '15.1612903226', precise_amount: '1.819354838712', amount: '1.82' });
  });

  it('refuses an unknown plan, a non-numeric amount of units and malformed JSON, with exit 2', () => {
    const unknown = cli('price', '--plan', 'nexacloud_basic', usageFile({}));
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown plan 'nexacloud_basic'");

    const notANumber = cli('price', '--plan', 'nexacloud_pro', usageFile({ nc_egress_gb: { units: 'lots' } }));
    expect(notANumber.status).toBe(2);
    expect(JSON.parse(notANumber.stderr.trim()).error).toContain('nc_egress_gb');

    const file = join(mkdtempSync(join(tmpdir(), 'fb-price-')), 'bad.json');
    writeFileSync(file, '{nope');
    const malformed = cli('price', '--plan', 'nexacloud_pro', file);
    expect(malformed.status).toBe(2);
    expect(malformed.stderr).toContain('bad.json');
  });
});
