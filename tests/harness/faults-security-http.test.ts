// The security scenario's HTTP helpers (harness/faults/security-http.ts): which Odoo worker served
// a request, read from werkzeug's request lines, and what counts as Lago's error body.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isLagoError, sendRaw, servingPids } from '../../harness/faults/security-http.ts';

describe('fault suite: security scenario HTTP helpers', () => {
  it('counts the requests of a marker per Odoo process from the server log', () => {
    const logs = [
      '2026-12-03 14:30:28,580 16186 INFO ? odoo.service.server: HTTP service (werkzeug) running on 127.0.0.1:34795 ',
      '2026-12-03 14:30:31,131 16274 INFO db werkzeug: 127.0.0.1 - - [03/Dec/2026 14:30:31] "GET /api/v1/plans?probe=r-1 HTTP/1.1" 401 - 3 0.001 0.003',
      '2026-12-03 14:30:31,140 16275 INFO db werkzeug: 127.0.0.1 - - [03/Dec/2026 14:30:31] "GET /api/v1/plans?probe=r-2 HTTP/1.1" 401 - 3 0.001 0.003',
      '2026-12-03 14:30:31,150 16274 INFO db werkzeug: 127.0.0.1 - - [03/Dec/2026 14:30:31] "GET /api/v1/plans?probe=r-3 HTTP/1.1" 401 - 3 0.001 0.003',
      '2026-12-03 14:30:31,160 16274 INFO db odoo.addons.x: probe=r-4 is not a request line',
    ].join('\n');
    expect(Object.fromEntries(servingPids(logs, 'probe=r-'))).toEqual({ '16274': 2, '16275': 1 });
  });

  it("recognises Lago's error body, and sends from the given loopback source address", async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.socket.remoteAddress ?? '');
      res.writeHead(429, { 'Content-Type': 'application/json; charset=utf-8', 'Retry-After': '7' });
      res.end('{"status":429,"error":"Too Many Requests","code":"too_many_requests"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const answer = await sendRaw({ method: 'GET', url: `http://127.0.0.1:${port}/x`, localAddress: '127.0.0.2' });
      expect(answer.status).toBe(429);
      expect(answer.headers['retry-after']).toBe('7');
      expect(isLagoError(answer, 'too_many_requests')).toBe(true);
      expect(isLagoError(answer, 'other_code')).toBe(false);
      expect(isLagoError({ ...answer, status: 401 })).toBe(false);
      expect(seen).toEqual(['127.0.0.2']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
