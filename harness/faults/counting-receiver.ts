// The webhook receiver of the delivery-race scenario: it counts every request it gets (no dedup,
// so nothing is hidden), and makes a fixed share of first deliveries fail — a 500, or a 200 sent
// after the module's delivery timeout — so that retries race with first deliveries. Which
// webhook fails is decided by its unique key, so each run is the same for the same keys.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { closeServer, listenOnLoopback, SLOW_ANSWER_MS } from '../webhooks/receiver.ts';
import { header, verifyFusionTimestamp } from '../webhooks/verifier.ts';

export type FirstAnswer = 'ok' | 'error500' | 'slow';

export interface Arrival {
  uniqueKey: string;
  /** Date.now() when the request body was read. */
  at: number;
  /** 1 for the first request of this key, 2 for the next, … */
  nth: number;
  /** What the receiver answered: 200 in time, 500, or 200 too late for the sender. */
  answer: FirstAnswer;
  payload: Record<string, unknown>;
}

export interface FailureShares {
  /** Share (0–1) of webhooks whose first delivery gets a 500. */
  error500: number;
  /** Share (0–1) of webhooks whose first delivery is answered after the sender's timeout. */
  slow: number;
}

export class CountingReceiver {
  readonly arrivals: Arrival[] = [];
  /** Requests whose signature did not verify (answered 401). */
  unsigned = 0;
  private readonly countByKey = new Map<string, number>();
  private readonly late = new Set<Promise<void>>();
  private server: Server | undefined;
  private port = 0;

  constructor(
    private readonly secret: string,
    private readonly shares: FailureShares,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/billing/webhooks`;
  }

  /** What the first delivery of this key gets: a stable function of the key. */
  firstAnswer(uniqueKey: string): FirstAnswer {
    const draw = createHash('sha256').update(uniqueKey).digest().readUInt32BE(0) / 2 ** 32;
    if (draw < this.shares.error500) return 'error500';
    if (draw < this.shares.error500 + this.shares.slow) return 'slow';
    return 'ok';
  }

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', async () => {
        const rawBody = Buffer.concat(chunks);
        // The endpoint's timestamped signature (its secret) is enough to trust the unique key.
        const verdict = verifyFusionTimestamp(this.secret, request.headers, rawBody);
        const uniqueKey = header(request.headers, 'X-Lago-Unique-Key');
        if (!verdict.ok || !uniqueKey) {
          this.unsigned++;
          response.writeHead(401).end(verdict.ok ? 'no unique key' : verdict.reason);
          return;
        }
        const nth = (this.countByKey.get(uniqueKey) ?? 0) + 1;
        this.countByKey.set(uniqueKey, nth);
        const answer = nth === 1 ? this.firstAnswer(uniqueKey) : 'ok';
        this.arrivals.push({ uniqueKey, at: Date.now(), nth, answer, payload: JSON.parse(rawBody.toString('utf8')) });
        if (answer === 'error500') {
          response.writeHead(500).end('failing on purpose');
        } else if (answer === 'slow') {
          const sent = new Promise<void>((done) =>
            setTimeout(() => {
              if (!response.destroyed) response.writeHead(200).end('ok (too late)');
              done();
            }, SLOW_ANSWER_MS),
          );
          this.late.add(sent);
          void sent.then(() => this.late.delete(sent));
        } else {
          response.writeHead(200).end('ok');
        }
      });
    });
    this.port = await listenOnLoopback(server);
    this.server = server;
  }

  /** Resolves once every late answer has been sent. */
  async settled(): Promise<void> {
    await Promise.all(this.late);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeServer(server);
  }
}
