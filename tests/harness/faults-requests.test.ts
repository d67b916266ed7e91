// The random requests of the fault suite (harness/faults/api-requests.ts) reach every route the
// spec declares, and the judgement of an answer refuses what a client cannot read as Lago's.
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judge, randomRequest, specRoutes, type RandomRequest } from '../../harness/faults/api-requests.ts';
import { REPO_ROOT } from '../../generators/repo-root.ts';

const routes = specRoutes(join(REPO_ROOT, 'spec/nexa.yaml'));
const known = { customer: 'c', subscription: 's', metric: 'm', plan: 'p', alert: 'a' };

describe('fault suite: random API requests', () => {
  it('reach every route of the spec, with their parameters filled', () => {
    const requests = fc.sample(randomRequest(routes, known, { own: 'k1', foreign: 'k2' }), { seed: 7, numRuns: 1500 });
    const reached = new Set(requests.map((r) => `${r.route.method} ${r.route.path}`));
    expect(reached.size).toBe(routes.length);
    expect(requests.every((r) => r.path.startsWith('/api/v1/') && !/[{}]/.test(r.path))).toBe(true);
    expect(routes.map((r) => r.handler)).toEqual(
      expect.arrayContaining(['create_event', 'create_events_batch', 'upsert_customer', 'current_usage']),
    );
  });

  it('judges 5xx, HTML and error bodies not in Lago shape as wrong, Lago errors and JSON as right', () => {
    const request = { route: routes.find((r) => r.handler === 'create_event')! } as RandomRequest;
    const json = 'application/json; charset=utf-8';
    const answer = (status: number, text: string, contentType = json) => ({ status, text, contentType, ms: 1 });
    expect(judge(request, answer(500, '{"status":500,"error":"Internal Server Error"}'))).toMatch(/500/);
    expect(judge(request, answer(404, '<html></html>', 'text/html'))).toMatch(/Content-Type/);
    expect(judge(request, answer(400, '{"message":"bad"}'))).toMatch(/error shape/);
    expect(judge(request, answer(400, 'not json'))).toMatch(/not JSON/);
    expect(judge(request, answer(422, '{"status":422,"error":"Unprocessable Entity","code":"validation_errors"}'))).toBeUndefined();
    expect(judge(request, answer(200, '{"event":{}}'))).toBeUndefined();
  });
});
