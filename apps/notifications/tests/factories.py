"""Test helpers: users to notify, and a real HTTP server standing in for the SMS gateway and IM robot."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's naming
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received.append(
            {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "json": json.loads(raw)}
        )
        status, answer = self.server.answers.pop(0) if self.server.answers else self.server.default
        body = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class RecordingServer:
    """An HTTP server on 127.0.0.1 in a thread that records each POSTed JSON and answers as told."""

    def __init__(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.received = []
        self.httpd.answers = []
        self.httpd.default = (200, {"errcode": 0, "errmsg": "ok"})
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/send?key=secret"

    @property
    def received(self) -> list[dict]:
        return self.httpd.received

    def answer(self, status: int, body: dict | None = None, *, times: int = 1) -> None:
        self.httpd.answers.extend([(status, body or {})] * times)

    def answer_always(self, status: int, body: dict | None = None) -> None:
        self.httpd.default = (status, body or {})

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def refused_url() -> str:
    """A URL on a local port nobody listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/send"
