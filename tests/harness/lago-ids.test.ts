import { describe, expect, it } from 'vitest';
import { recordIdOf } from '../../harness/support/lago-ids.ts';

describe('lago_id → record id', () => {
  it('reads the vectors of python/tests/test_lago_ids.py', () => {
    expect(recordIdOf('5f1c2d3e-4a5b-8003-8000-00000000002a', 'sale.order')).toBe(42);
    expect(() => recordIdOf('5f1c2d3e-4a5b-8003-8000-00000000002a', 'account.move')).toThrow(/not a account.move id/);
    expect(() => recordIdOf('account.move-7', 'account.move')).toThrow(/not a fusion_billing lago_id/);
  });
});
