// The benchmarks' HTTP transport: node:http over kept-alive sockets, behind the fetch signature
// the harness clients take. Client and server share the machine's cores, so the load generator
// should cost as little as it can (like wrk or k6): undici's fetch spends about a millisecond of
// CPU per request on streams, abort signals and header guards. Requests and answers are the same
// bytes; the clients still parse and check every answer.
import { Agent, request } from 'node:http';

export function keepAliveFetch(maxSockets = 64): typeof fetch {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const send = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> =>
    new Promise((resolve, reject) => {
      const body = init.body;
      if (body !== undefined && body !== null && typeof body !== 'string') throw new Error('keepAliveFetch sends string bodies only');
      const headers: Record<string, string | number> = { ...(init.headers as Record<string, string> | undefined) };
      if (body) headers['Content-Length'] = Buffer.byteLength(body);
      const outgoing = request(String(input), { agent, method: init.method ?? 'GET', headers }, (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', reject);
        incoming.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const answer = {
            status: incoming.statusCode ?? 0,
            ok: (incoming.statusCode ?? 0) >= 200 && (incoming.statusCode ?? 0) < 300,
            headers: { get: (name: string) => (incoming.headers[name.toLowerCase()] as string | undefined) ?? null },
            text: () => Promise.resolve(text),
            json: () => Promise.resolve(JSON.parse(text)),
          };
          resolve(answer as unknown as Response);
        });
      });
      outgoing.on('error', reject);
      // A timeout (AbortSignal.timeout) ends the request with its reason, as fetch does.
      const signal = init.signal;
      if (signal?.aborted) outgoing.destroy(signal.reason as Error);
      else signal?.addEventListener('abort', () => outgoing.destroy(signal.reason as Error), { once: true });
      outgoing.end(body ?? undefined);
    });
  return send as typeof fetch;
}
