"""A scriptable webhook receiver on 127.0.0.1 for the tests: answers the statuses it is told to,
records every request, and keeps a dedup layer keyed by X-Lago-Unique-Key like a real app would."""

from .local_http import LocalHttpServer, QuietHandler


class WebhookReceiver(LocalHttpServer):
    def __init__(self):
        self.requests = []
        self.processed = {}  # unique key -> body, what the app acted on (once per key)
        self.script = []  # statuses to answer, in order; 200 once exhausted
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
                status = receiver.script.pop(0) if receiver.script else 200
                receiver.requests.append({'headers': dict(self.headers.items()), 'body': body, 'answered': status})
                if status == 200:
                    receiver.processed.setdefault(self.headers.get('X-Lago-Unique-Key'), body)
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b'ok' if status == 200 else b'receiver unavailable')

        super().__init__(Handler)
        self.url = f'{self.origin}/hooks'
