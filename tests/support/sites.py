"""Monitored sites on loopback: a real HTTP(S) server whose pages answer as a test needs.

Paths: `/ok` (200, a Chinese page with 欢迎), `/slow` (answers after `slow_seconds`), `/500`,
`/plain` (200 without the keyword), `/toggle` (200 or 503 as `server.down` says). A refusing
site is `refusing_url()`: a port nobody listens on.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    server: SiteServer

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        self.server.hits += 1
        path = self.path.split("?")[0]
        if path == "/slow":
            time.sleep(self.server.slow_seconds)
        status, body = {
            "/500": (500, "内部错误"),
            "/plain": (200, "<html>nothing here</html>"),
            "/toggle": ((503, "维护中") if self.server.down else (200, "欢迎 welcome")),
        }.get(path, (200, "<html><body>欢迎 welcome</body></html>"))
        data = body.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up (timeout test)


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, tls: ssl.SSLContext | None = None, slow_seconds: float = 3.0) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.scheme = "https" if tls else "http"
        self.slow_seconds = slow_seconds
        self.down = False
        self.hits = 0
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server_address[1]}{path}"

    def start(self) -> SiteServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def refusing_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
