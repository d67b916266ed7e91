// The scenarios' helper services (the Stripe mock, webhook receivers) run in processes of their own,
// local or in containers, like Odoo; the scenarios drive them through a small control API on the
// loopback: POST /call {method, args} → {result} or {error}. Buffers travel as {__base64}.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function encode(value: unknown): Json {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return { __base64: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return value.map(encode);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, encode(v)]),
    );
  return value as Json;
}

export function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode);
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if (typeof object.__base64 === 'string' && Object.keys(object).length === 1) return Buffer.from(object.__base64, 'base64');
    return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, decode(v)]));
  }
  return value;
}

/** Serves `methods` of `target` on 127.0.0.1:`port` (0: a free one); resolves with the server. */
export async function serveControl(target: object, methods: readonly string[], port = 0): Promise<Server> {
  const allowed = new Set(methods);
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const answer = (status: number, body: unknown) =>
        response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      try {
        const { method, args } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { method: string; args: unknown[] };
        if (!allowed.has(method)) return answer(404, { error: `no method ${method}` });
        const fn = (target as Record<string, (...a: unknown[]) => unknown>)[method]!;
        answer(200, { result: encode(await fn.apply(target, decode(args) as unknown[])) });
      } catch (error) {
        answer(500, { error: (error as Error).message });
      }
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => done());
  });
  return server;
}

export function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

/** Calls the control API of a service. */
export class RemoteCaller {
  constructor(private readonly controlUrl: string) {}

  async call<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    const response = await fetch(`${this.controlUrl}/call`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ method, args: encode(args) }),
      signal: AbortSignal.timeout(120_000),
    });
    const body = (await response.json()) as { result?: unknown; error?: string };
    if (!response.ok) throw new Error(`${method}: ${body.error ?? response.status}`);
    return decode(body.result) as T;
  }
}
