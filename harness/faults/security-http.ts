// HTTP for the security scenario: one new connection per request (so that a prefork server's
// workers share the requests instead of one keep-alive connection sticking to one worker), from a
// chosen loopback source address (the throttle counts per client address), and the Odoo worker
// that served each request, read from the server's request log.
import { request as httpRequest } from 'node:http';
import { isLagoError as isLagoErrorBody } from '../clients/lago.ts';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface RawRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** The client socket's source address, e.g. 127.0.0.2 (any 127/8 address is local on Linux). */
  localAddress?: string;
  timeoutMs?: number;
}

export function sendRaw(req: RawRequest): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const url = new URL(req.url);
    const headers: Record<string, string> = { Connection: 'close', ...req.headers };
    if (req.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(req.body));
    const client = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: req.method,
        headers,
        agent: false,
        localAddress: req.localAddress,
        timeout: req.timeoutMs ?? 60_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    client.on('timeout', () => client.destroy(new Error(`${req.method} ${req.url}: no answer within ${req.timeoutMs ?? 60_000} ms`)));
    client.on('error', reject);
    if (req.body !== undefined) client.write(req.body);
    client.end();
  });
}

/** The body as JSON, or undefined when it is not JSON. */
export function jsonOf(answer: RawAnswer): unknown {
  try {
    return JSON.parse(answer.text);
  } catch {
    return undefined;
  }
}

/** Whether `answer` is Lago's error body for its status (and `code` when given), served as JSON. */
export function isLagoError(answer: RawAnswer, code?: string): boolean {
  const body = jsonOf(answer);
  return (
    String(answer.headers['content-type'] ?? '').startsWith('application/json') &&
    isLagoErrorBody(body) &&
    body.status === answer.status &&
    (code === undefined || body.code === code)
  );
}

/**
 * The pid of the Odoo process that logged each request whose path contains `marker`, from
 * werkzeug's request lines ("<date> <pid> INFO <db> werkzeug: 127.0.0.1 - - [...] "GET /path ..." 401 ...").
 */
export function servingPids(logs: string, marker: string): Map<string, number> {
  const pids = new Map<string, number>();
  for (const line of logs.split('\n')) {
    if (!line.includes(marker) || !line.includes(' werkzeug: ')) continue;
    const pid = /^\S+ \S+ (\d+) /.exec(line)?.[1];
    if (pid) pids.set(pid, (pids.get(pid) ?? 0) + 1);
  }
  return pids;
}
