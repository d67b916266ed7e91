// A webhook receiver as an application runs one, for the acceptance scenarios: a Node http server
// on 127.0.0.1 that verifies every request (verifier.ts: as a Lago receiver does, then the
// timestamped signature), deduplicates by unique key, and answers as its `mode` says, so that
// scenarios can take it down, make it fail or answer too late.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DedupLayer, verifyWebhook, type LagoKeys, type Verdict } from './verifier.ts';

/** The module's delivery timeout is 10 s: a slow answer comes after that. */
export const SLOW_ANSWER_MS = 11_500;

export interface Received {
  at: number;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  verdict: Verdict;
  payload: { webhook_type: string; object_type: string; [object: string]: unknown };
  /** True when the DedupLayer saw this unique key for the first time. */
  admitted: boolean;
  answered: number;
}

export type ReceiverMode = 'ok' | 'error500' | 'slow';

/** The application's webhook endpoint: verifies, deduplicates, answers as `mode` says. */
export class Receiver {
  readonly received: Received[] = [];
  readonly dedup = new DedupLayer();
  mode: ReceiverMode = 'ok';
  keys: LagoKeys & { secret: string } = { secret: '' };
  port = 0;
  private server: Server | undefined;
  /** Slow answers not sent yet. */
  private readonly late = new Set<Promise<void>>();

  get url(): string {
    return `http://127.0.0.1:${this.port}/billing/webhooks`;
  }

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', async () => {
        const rawBody = Buffer.concat(chunks);
        const verdict = await verifyWebhook(this.keys, request.headers, rawBody);
        let payload: Received['payload'];
        try {
          payload = JSON.parse(rawBody.toString('utf8')) as Received['payload'];
        } catch {
          payload = { webhook_type: '?', object_type: '?' };
        }
        const entry: Received = { at: Date.now(), headers: request.headers, rawBody, verdict, payload, admitted: false, answered: 0 };
        this.received.push(entry);
        const answer = (status: number, text: string) => {
          entry.answered = status;
          response.writeHead(status, { 'Content-Type': 'text/plain' }).end(text);
        };
        if (!verdict.ok) return answer(401, verdict.reason);
        if (this.mode === 'error500') return answer(500, 'receiver failing on purpose');
        // Processing happens here: a key already processed is acknowledged, not acted on twice.
        entry.admitted = this.dedup.admit(verdict.uniqueKey);
        if (this.mode === 'slow') {
          this.mode = 'error500'; // one slow answer only
          this.late.add(
            new Promise<void>((done) =>
              setTimeout(() => {
                answer(200, 'ok (too late)');
                done();
              }, SLOW_ANSWER_MS),
            ),
          );
          return;
        }
        answer(200, entry.admitted ? 'ok' : 'duplicate ignored');
      });
    });
    this.port = await listenOnLoopback(server, this.port);
    this.server = server;
  }

  /** Resolves once every slow answer has been sent. */
  async settled(): Promise<void> {
    await Promise.all(this.late);
  }

  /** Down: the port refuses connections until start() again (same port). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeServer(server);
  }

  setMode(mode: ReceiverMode): void {
    this.mode = mode;
  }

  setKeys(keys: LagoKeys & { secret: string }): void {
    this.keys = keys;
  }

  receivedSoFar(): Received[] {
    return this.received;
  }

  dedupSize(): number {
    return this.dedup.size;
  }

  about(objectKeyValue: (entry: Received) => boolean): Received[] {
    return this.received.filter(objectKeyValue);
  }
}

/** Listens on 127.0.0.1 (port 0: a free one); resolves with the port. */
export async function listenOnLoopback(server: Server, port = 0): Promise<number> {
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => done());
  });
  return (server.address() as AddressInfo).port;
}

/** Closes the server, its open connections first (a receiver being taken down mid-request). */
export async function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
}
