"""A threaded HTTP server on 127.0.0.1 for the tests (Odoo's tests may only reach localhost)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass


class LocalHttpServer:
    """Serves `handler_class` on a free port while used as a context manager."""

    def __init__(self, handler_class):
        self.server = ThreadingHTTPServer(('127.0.0.1', 0), handler_class)
        self.origin = f'http://127.0.0.1:{self.server.server_address[1]}'
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
