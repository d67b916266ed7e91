// Random requests to every route of the spec's API (spec/nexa.yaml module.api.routes), and the
// judgement of each answer. The bodies are what a broken or hostile client sends: random JSON
// values, the Lago shape of the route with one field of a wrong type (or missing, or unknown),
// huge strings, any unicode (lone surrogates too), deep nesting, bytes that are not JSON. Headers
// and query strings are garbled alongside: no, a wrong or a foreign key, wrong Content-Types.
import fc from 'fast-check';
import { validateSpecFile } from '../../generators/spec/index.ts';

export interface ApiRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** As the spec writes it, base path included: /api/v1/customers/{external_customer_id}. */
  path: string;
  handler: string;
}

/** Known records the path parameters may name (so that handlers run past their lookups). */
export interface KnownRecords {
  customer: string;
  subscription: string;
  metric: string;
  plan: string;
  alert: string;
  invoice?: string;
}

export interface ApiKeys {
  /** The service whose records KnownRecords names. */
  own: string;
  /** Another service's valid key. */
  foreign: string;
}

export type Body =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: Uint8Array };

export interface RandomRequest {
  route: ApiRoute;
  /** The HTTP method sent: the route's, or now and then another one (Lago's 405 is expected). */
  method: string;
  /** The path sent, parameters encoded. */
  path: string;
  query: [string, string][];
  headers: Record<string, string>;
  body: Body;
  /** What the body is, for the report of a failing request. */
  bodyLabel: string;
}

export function specRoutes(specFile: string): ApiRoute[] {
  const spec = validateSpecFile(specFile).spec;
  const base = spec.module.api.base_path;
  return spec.module.api.routes.map((route) => ({ method: route.method, path: `${base}${route.path}`, handler: route.handler }));
}

const now = () => Math.floor(Date.now() / 1000);

/** A well-formed Lago body per handler that takes one: the shape the wrong-type cases break. */
function lagoShape(handler: string, known: KnownRecords, tag: string): Record<string, unknown> | undefined {
  const event = (i: number) => ({
    transaction_id: `fuzz-${tag}-${i}`,
    external_subscription_id: known.subscription,
    code: known.metric,
    timestamp: now(),
    properties: { region: 'ca-central' },
  });
  switch (handler) {
    case 'create_event':
      return { event: event(0) };
    case 'create_events_batch':
      return { events: [event(0), event(1)] };
    case 'upsert_customer':
      return { customer: { external_id: `tnt_fuzz${tag}`, name: 'Fuzz Ltd', email: 'fuzz@example.com', country: 'CA', currency: 'CAD' } };
    case 'create_subscription':
      return {
        subscription: { external_customer_id: known.customer, plan_code: known.plan, external_id: `fuzz-${tag}`, billing_time: 'calendar' },
      };
    case 'update_subscription':
      return { subscription: { name: 'Renamed', ending_at: '2099-01-01T00:00:00Z' } };
    case 'update_lifetime_usage':
      return { lifetime_usage: { external_historical_usage_amount_cents: 1000 } };
    case 'create_alert':
      return {
        alert: {
          alert_type: 'current_usage_amount',
          code: `fuzz-${tag}`,
          name: 'Fuzz alert',
          thresholds: [{ code: 'warn', value: '100.0', recurring: false }],
        },
      };
    default:
      return undefined;
  }
}

/** The leaf paths of a JSON object ([["event","code"], ["events",0,"code"], ...]). */
function leafPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((item, index) => leafPaths(item, [...prefix, index]));
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    return [prefix, ...entries.flatMap(([key, item]) => leafPaths(item, [...prefix, key]))];
  }
  return [prefix];
}

function replaced(value: unknown, path: (string | number)[], replacement: unknown | typeof REMOVE): unknown {
  if (!path.length) return replacement === REMOVE ? undefined : replacement;
  const [head, ...rest] = path;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>;
  if (rest.length === 0 && replacement === REMOVE) delete copy[head!];
  else copy[head!] = replaced(copy[head!], rest, replacement);
  return copy;
}
const REMOVE = Symbol('remove');

const hugeString = fc.integer({ min: 10_000, max: 300_000 }).map((n) => 'é'.repeat(n));
const anyUnicode = fc.string({ unit: 'binary', maxLength: 40 });
/** JSON values of any kind, strings of any unicode (lone surrogates are sent as \\u escapes). */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 4 }), weight: 4 },
  { arbitrary: anyUnicode, weight: 2 },
  { arbitrary: fc.constantFrom(1e308, -1e308, 2 ** 63, -(2 ** 63), 0.1, -0, 1e-320, 1.2345678901234568e29), weight: 1 },
  {
    arbitrary: fc.constantFrom(
      null,
      true,
      false,
      '',
      [],
      {},
      '2026-13-45T99:99:99Z',
      'NaN',
      '1e999',
      '\ud800',
      'a\udfffb',
      '\u0000',
      '\u202e\u0301',
    ),
    weight: 1,
  },
  { arbitrary: hugeString, weight: 1 },
);

function bodyFor(handler: string, known: KnownRecords): fc.Arbitrary<{ body: Body; label: string }> {
  const json = (label: string) => (value: unknown) => ({ body: { kind: 'json', value } as Body, label });
  const text = (label: string) => (t: string) => ({ body: { kind: 'text', text: t } as Body, label });
  const tag = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'), minLength: 8, maxLength: 8 });
  const shapeCases = tag.chain((t) => {
    const shape = lagoShape(handler, known, t);
    if (!shape) return fc.constant({ body: { kind: 'json', value: {} } as Body, label: 'empty object' });
    const paths = leafPaths(shape).filter((p) => p.length > 0);
    return fc.oneof(
      { arbitrary: fc.constant(shape).map(json('the Lago shape, well-formed')), weight: 1 },
      {
        arbitrary: fc
          .tuple(fc.constantFrom(...paths), anyJson)
          .map(([path, value]) => json(`the Lago shape, ${path.join('.')} replaced`)(replaced(shape, path, value))),
        weight: 6,
      },
      {
        arbitrary: fc.constantFrom(...paths).map((path) => json(`the Lago shape without ${path.join('.')}`)(replaced(shape, path, REMOVE))),
        weight: 2,
      },
      {
        arbitrary: fc
          .tuple(anyUnicode, anyJson)
          .map(([key, value]) => json('the Lago shape with an unknown key')({ ...shape, [key]: value })),
        weight: 1,
      },
    );
  });
  const depth = fc.integer({ min: 50, max: 100_000 });
  return fc.oneof(
    { arbitrary: shapeCases, weight: 30 },
    { arbitrary: anyJson.map(json('a random JSON value')), weight: 15 },
    { arbitrary: fc.constant({ body: { kind: 'none' } as Body, label: 'no body' }), weight: 5 },
    { arbitrary: depth.map((n) => `${'['.repeat(n)}${']'.repeat(n)}`).map(text('deeply nested arrays')), weight: 5 },
    { arbitrary: depth.map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`).map(text('deeply nested objects')), weight: 5 },
    {
      arbitrary: fc
        .constantFrom(
          '{"event":',
          '{"event": {"code": "x",}}',
          "{'a': 1}",
          'NaN',
          'Infinity',
          '[1, 2',
          '\u0000',
          '{"a":"\\ud800"}',
          '{"a":1}{"b":2}',
          '\ufeff{}',
        )
        .map(text('malformed JSON')),
      weight: 5,
    },
    {
      arbitrary: fc
        .uint8Array({ minLength: 1, maxLength: 2000 })
        .map((bytes) => ({ body: { kind: 'bytes', bytes } as Body, label: 'random bytes' })),
      weight: 5,
    },
    {
      arbitrary: fc
        .integer({ min: 1_048_577, max: 1_200_000 })
        .map((n) => `"${'x'.repeat(n)}"`)
        .map(text('a body over max_body_bytes')),
      weight: 1,
    },
  );
}

/** A path parameter: mostly a record that exists (so handlers run past their lookups), else anything. */
function pathValue(name: string, resource: string, known: KnownRecords): fc.Arbitrary<string> {
  const knownValue: Record<string, string | undefined> = {
    external_customer_id: known.customer,
    external_id: known.subscription,
    // Metrics and plans are named by code in their own routes, alerts under a subscription.
    code: resource === 'billable_metrics' ? known.metric : resource === 'plans' ? known.plan : known.alert,
    lago_id: known.invoice,
    transaction_id: 'fuzz-known',
  };
  const realistic = knownValue[name];
  const random = fc.oneof(
    anyUnicode.filter((s) => s.length > 0),
    fc.constantFrom('..', '%', '%00', ' ', 'null', '0', '-1', '00000000-0000-0000-0000-000000000000', 'a/b'),
  );
  return realistic ? fc.oneof({ arbitrary: fc.constant(realistic), weight: 3 }, { arbitrary: random, weight: 2 }) : random;
}

/** encodeURIComponent, with lone surrogates (which it refuses) sent as U+FFFD as a browser does. */
function encodePathPart(value: string): string {
  return encodeURIComponent(value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));
}

function pathArbitrary(route: ApiRoute, known: KnownRecords): fc.Arbitrary<string> {
  const names = [...route.path.matchAll(/\{([a-z_]+)(:path)?\}/g)];
  const resource = route.path.split('/')[3] ?? '';
  const arbitraries = names.map(([, name]) => pathValue(name!, resource, known));
  return fc.tuple(...arbitraries).map((values) => {
    let index = 0;
    return route.path.replace(/\{([a-z_]+)(:path)?\}/g, (_m, _name, isPath?: string) => {
      const value = values[index++]!;
      return isPath ? value.split('/').map(encodePathPart).join('/') : encodePathPart(value);
    });
  });
}

const queryArbitrary: fc.Arbitrary<[string, string][]> = fc.array(
  fc.tuple(
    fc.oneof(
      fc.constantFrom(
        'page',
        'per_page',
        'external_customer_id',
        'external_subscription_id',
        'status',
        'apply_taxes',
        'plan_code',
        'issuing_date_from',
      ),
      anyUnicode,
    ),
    fc.oneof(fc.constantFrom('-1', '0', '1', '99999999999999999999', 'true', 'abc', '', '1e5', '[]', 'active'), anyUnicode),
  ),
  { maxLength: 4 },
);

function headersArbitrary(keys: ApiKeys): fc.Arbitrary<Record<string, string>> {
  const authorization = fc.oneof(
    { arbitrary: fc.constant(`Bearer ${keys.own}`), weight: 8 },
    { arbitrary: fc.constant(`Bearer ${keys.foreign}`), weight: 1 },
    { arbitrary: fc.constant(undefined), weight: 1 },
    {
      arbitrary: fc.oneof(
        fc.constantFrom(
          'Bearer',
          'Bearer ',
          `bearer ${keys.own}`,
          `Basic ${Buffer.from('admin:admin').toString('base64')}`,
          `Bearer ${keys.own}x`,
          `Bearer  ${keys.own}`,
          `Bearer ${keys.own.slice(0, -1)}`,
        ),
        fc.string({ unit: fc.constantFrom(...'abcXYZ0123456789 -_.:=/+'), maxLength: 200 }).map((s) => `Bearer ${s}`),
      ),
      weight: 1,
    },
  );
  const contentType = fc.oneof(
    { arbitrary: fc.constant('application/json'), weight: 6 },
    {
      arbitrary: fc.constantFrom(
        undefined,
        'text/plain',
        'application/json; charset=latin-1',
        'application/x-www-form-urlencoded',
        'multipart/form-data',
        'application/xml',
        '*/*',
        'application/json; boundary=;;;',
      ),
      weight: 2,
    },
  );
  const accept = fc.constantFrom(undefined, 'application/json', 'text/html', '*/*');
  return fc.record({ authorization, contentType, accept }).map(({ authorization: a, contentType: c, accept: x }) => {
    const headers: Record<string, string> = {};
    if (a !== undefined) headers.Authorization = a;
    if (c !== undefined) headers['Content-Type'] = c;
    if (x !== undefined) headers.Accept = x;
    return headers;
  });
}

export function randomRequest(routes: ApiRoute[], known: KnownRecords, keys: ApiKeys): fc.Arbitrary<RandomRequest> {
  return fc.constantFrom(...routes).chain((route) =>
    fc
      .record({
        method: fc.oneof(
          { arbitrary: fc.constant(route.method), weight: 9 },
          { arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'), weight: 1 },
        ),
        path: pathArbitrary(route, known),
        query: queryArbitrary,
        headers: headersArbitrary(keys),
        body: bodyFor(route.handler, known),
      })
      .map(({ method, path, query, headers, body }) => ({
        route,
        method,
        path,
        query,
        headers,
        body: method === 'GET' ? { kind: 'none' as const } : body.body,
        bodyLabel: method === 'GET' ? 'no body' : body.label,
      })),
  );
}

export interface Answer {
  status: number;
  contentType: string;
  text: string;
  ms: number;
}

export async function send(baseUrl: string, request: RandomRequest, timeoutMs = 60_000): Promise<Answer> {
  const url = new URL(`${baseUrl}${request.path}`);
  for (const [key, value] of request.query) url.searchParams.append(key, value);
  const body =
    request.body.kind === 'json'
      ? JSON.stringify(request.body.value)
      : request.body.kind === 'text'
        ? request.body.text
        : request.body.kind === 'bytes'
          ? (request.body.bytes as unknown as BodyInit)
          : undefined;
  const started = performance.now();
  const response = await fetch(url, { method: request.method, headers: request.headers, body, signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text, ms: performance.now() - started };
}

/** Routes whose 200 answer is plain text in Lago too (the webhook public key, base64). */
const PLAIN_TEXT_HANDLERS = new Set(['webhook_public_key']);

/** What is wrong with an answer, or undefined: never 5xx, always JSON, Lago's error body on 4xx. */
export function judge(request: RandomRequest, answer: Answer): string | undefined {
  if (answer.status >= 500) return `answered ${answer.status}`;
  if (answer.status < 300 && PLAIN_TEXT_HANDLERS.has(request.route.handler) && answer.contentType.startsWith('text/plain'))
    return undefined;
  if (!answer.contentType.startsWith('application/json')) return `answered ${answer.status} with Content-Type '${answer.contentType}'`;
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return `answered ${answer.status} with a body that is not JSON`;
  }
  if (answer.status >= 400) {
    const error = body as { status?: unknown; error?: unknown; code?: unknown };
    if (
      !error ||
      typeof error !== 'object' ||
      error.status !== answer.status ||
      typeof error.error !== 'string' ||
      (error.code !== undefined && typeof error.code !== 'string')
    )
      return `answered ${answer.status} with a body not in Lago's error shape`;
  }
  return undefined;
}

/** The request, short enough to read in a failure report. */
export function describeRequest(request: RandomRequest): string {
  const query = request.query.length ? `?${new URLSearchParams(request.query).toString()}` : '';
  const body =
    request.body.kind === 'json'
      ? JSON.stringify(request.body.value)
      : request.body.kind === 'text'
        ? JSON.stringify(request.body.text)
        : request.body.kind === 'bytes'
          ? `<${request.body.bytes.length} random bytes>`
          : '';
  const clipped = body.length > 400 ? `${body.slice(0, 400)}… (${body.length} chars)` : body;
  return `${request.method} ${request.path}${query} headers ${JSON.stringify(request.headers)} body (${request.bodyLabel}) ${clipped}`;
}
