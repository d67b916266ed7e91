import { describe, expect, it } from 'vitest';
import { LagoShapeCheck } from '../../harness/lago/shapes.ts';

describe('Lago shape check (the official client’s declared types)', () => {
  it('accepts what Lago declares and names each field that is missing, mistyped or undeclared', () => {
    const check = new LagoShapeCheck();
    check.expect('not found', 'L.ApiErrorNotFound', { status: 404, error: 'Not Found', code: 'customer_not_found' });
    check.expect('missing code', 'L.ApiErrorNotFound', { status: 404, error: 'Not Found' });
    check.expect('meta', 'L.PaginationMeta', { current_page: 1, next_page: null, prev_page: null, total_pages: 1, total_count: '3' });
    check.expect('public key', "ResponseOf<'webhooks', 'fetchJsonPublicKey'>", { webhook: { public_key: 'LS0t', extra: 1 } });
    check.expect('enum', "ResponseOf<'billableMetrics', 'findBillableMetric'>", {
      billable_metric: {
        lago_id: 'x',
        name: 'n',
        code: 'c',
        recurring: false,
        created_at: '2026-01-01T00:00:00Z',
        aggregation_type: 'median_agg',
        filters: [],
      },
    });
    const problems = check.verify();
    expect(problems.map((p) => [p.label, p.path])).toEqual([
      ['missing code', ''],
      ['meta', 'total_count'],
      ['public key', 'webhook.extra'],
      ['enum', 'billable_metric.aggregation_type'],
    ]);
    expect(problems[0]!.message).toContain("'code'");
    expect(problems[2]!.excessProperty).toBe('extra');
  }, 30_000);

  it('lets the documented additions through, and nothing else', () => {
    const check = new LagoShapeCheck();
    check.expect('events.errors', "Webhook<'events.errors'>", {
      webhook_type: 'events.errors',
      object_type: 'events_errors',
      organization_id: 'org',
      events_errors: {
        invalid_code: [],
        missing_aggregation_property: [],
        invalid_filter_values: [],
        missing_group_key: [],
        late_events: ['tx'],
      },
    });
    expect(check.verify()).toEqual([]);
    expect(check.check().map((p) => p.excessProperty)).toEqual(['late_events']);
  }, 30_000);
});
