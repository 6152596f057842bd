"""A TCP proxy in a thread, between the product and a real server (vcsim): it can slow the traffic down
to a given rate and cut every open connection at once, like a network that fails mid-upload.

TLS passes through untouched, so the client still sees (and pins) the server's own certificate.
"""

from __future__ import annotations

import socket
import threading
import time


class TcpProxy:
    def __init__(self, target: tuple[str, int], *, host: str = "127.0.0.1", rate: float | None = None):
        self.target = target
        self.rate = rate  # bytes per second from client to server, per connection (None: no limit)
        self.bytes_up = 0  # client → server, all connections
        self._listener = socket.create_server((host, 0))
        self.host, self.port = self._listener.getsockname()[:2]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        threading.Thread(target=self._accept, name="tcp-proxy", daemon=True).start()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update((client, server))
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, upstream: bool) -> None:
        started, sent = time.monotonic(), 0
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
                if upstream:
                    sent += len(data)
                    with self._lock:
                        self.bytes_up += len(data)
                    if self.rate:
                        ahead = sent / self.rate - (time.monotonic() - started)
                        if ahead > 0:
                            time.sleep(ahead)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                self._close(sock)

    def _close(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    def cut(self) -> int:
        """Reset every open connection (new ones are still accepted). Returns how many were cut."""
        with self._lock:
            victims = list(self._open)
        for sock in victims:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            except OSError:
                pass
            self._close(sock)
        return len(victims)

    def stop(self) -> None:
        self._stopped.set()
        self._listener.close()
        self.cut()
