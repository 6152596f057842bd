"""A real HTTPS server in a thread, for the product fakes: TLS with our own 2048-bit certificate, a
certificate that can be replaced (a renewed server), stop and start again on the same port."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from datacenters.vsphere.connection import ServerCertificate
from tests.vcsim import TlsFiles


class FakeHandler(BaseHTTPRequestHandler):
    """Keep-alive HTTP/1.1 with JSON helpers; subclasses route in `route(method)`."""

    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        self.fake.requests.append(
            (method, self.path.split("?")[0], self.headers.get("Authorization", "").split(" ")[0])
        )
        self.route(method)

    @property
    def fake(self) -> FakeServer:
        return self.server.fake

    def route(self, method: str) -> None:  # pragma: no cover - subclasses answer
        raise NotImplementedError

    def body_json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    def send_json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_body(self, status: int, data: bytes = b"", content_type: str = "application/json") -> None:
        self.send_response(status)
        if data:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeServer

    def handle_error(self, request, client_address):
        pass  # a client that refuses our certificate, or hangs up: part of the tests, not noise


class FakeServer:
    """One fake product server on 127.0.0.1; `requests` records (method, path, auth scheme) of each call."""

    fqdn = "127.0.0.1"
    handler: type[FakeHandler] = FakeHandler

    def __init__(self, *, tls: TlsFiles, new_tls: Callable[[], TlsFiles], username: str, password: str):
        self.tls, self._new_tls = tls, new_tls
        self.username, self.password = username, password
        self.port = 0
        self.requests: list[tuple[str, str, str]] = []
        self._server: _Server | None = None
        self._context: ssl.SSLContext | None = None

    @property
    def certificate(self) -> ServerCertificate:
        return self.tls.certificate

    def start(self) -> None:
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(self.tls.cert, self.tls.key)
        server = _Server((self.fqdn, self.port), self.handler)
        server.fake = self
        # The handshake happens in the request's thread, so a stuck client cannot block accept().
        server.socket = self._context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        self.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self._server = server

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def restart_with_new_certificate(self) -> ServerCertificate:
        """Present a new certificate from now on (a renewed server), on the same port."""
        self.tls = self._new_tls()
        self._context.load_cert_chain(self.tls.cert, self.tls.key)
        return self.certificate

    def calls(self, method: str, path: str) -> int:
        return sum(1 for m, p, _ in self.requests if (m, p) == (method, path))


def fakes_started(fake_class: type[FakeServer], *, tls: TlsFiles, new_tls: Callable[[], TlsFiles]):
    """The body of a fake's factory fixture: yields start(username=…, password=…), stops all at the end."""
    import secrets

    started: list[FakeServer] = []

    def start(*, username: str = "admin", password: str | None = None) -> FakeServer:
        fake = fake_class(tls=tls, new_tls=new_tls, username=username, password=password or secrets.token_urlsafe(12))
        fake.start()
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.stop()
