"""A real DNS server in a thread (UDP and TCP on the same port of 127.0.0.1), answering A, AAAA and
PTR queries from a dict, with knobs for the ways DNS goes wrong; and its pytest fixture `fake_dns`."""

from __future__ import annotations

import ipaddress
import socket
import socketserver
import struct
import threading
from collections.abc import Iterator

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.reversename
import dns.rrset
import pytest


def _name_key(name: str) -> str:
    return name.rstrip(".").lower()


class FakeDns:
    """`FakeDns(records={"vcd-01.lab.example.com": "127.0.1.11"})` answers the A record and the PTR.

    records: host name → address or list of addresses (a list of none: the name exists, with no address).
    ptr_overrides: address → host name (returned as written, case and trailing dot kept), or None for
    no PTR at all; it replaces the PTR the records imply.
    servfail: answer SERVFAIL to everything. silent: read queries and never answer (clients time out).
    truncate_udp: answer UDP with an empty truncated message, so clients must ask again over TCP.
    Every attribute can be changed while the server runs. `queries` lists (transport, name, type) asked.
    """

    def __init__(
        self,
        records: dict[str, str | list[str]] | None = None,
        *,
        ptr_overrides: dict[str, str | None] | None = None,
        servfail: bool = False,
        silent: bool = False,
        truncate_udp: bool = False,
        host: str = "127.0.0.1",
        ttl: int = 300,
    ):
        self.records = dict(records or {})
        self.ptr_overrides = dict(ptr_overrides or {})
        self.servfail = servfail
        self.silent = silent
        self.truncate_udp = truncate_udp
        self.host = host
        self.ttl = ttl
        self.port = 0
        self.queries: list[tuple[str, str, str]] = []
        self._servers: list[socketserver.BaseServer] = []
        self._stopped = threading.Event()

    @property
    def address(self) -> str:
        """As `dns_check(nameservers=[...])` takes it: "127.0.0.1:PORT" or "[::1]:PORT"."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    # --- answering -------------------------------------------------------------------------------

    def answer(self, query: dns.message.Message, transport: str) -> dns.message.Message | None:
        question = query.question[0] if query.question else None
        if question is not None:
            self.queries.append((transport, question.name.to_text(), dns.rdatatype.to_text(question.rdtype)))
        if self.silent:
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if self.servfail or question is None:
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        if transport == "udp" and self.truncate_udp:
            response.flags |= dns.flags.TC
            return response
        found = self._lookup(question.name, question.rdtype)
        if found is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif found:
            response.answer.append(
                dns.rrset.from_text_list(question.name, self.ttl, dns.rdataclass.IN, question.rdtype, found)
            )
        return response

    def _lookup(self, name: dns.name.Name, rdtype: int) -> list[str] | None:
        """The record texts for a question; [] when the name exists without that type, None when it does not."""
        key = _name_key(name.to_text())
        if key in {_name_key(n) for n in self.records}:
            addresses = self._addresses(key)
            version = {dns.rdatatype.A: 4, dns.rdatatype.AAAA: 6}.get(rdtype)
            return [a for a in addresses if ipaddress.ip_address(a).version == version]
        try:
            address = str(ipaddress.ip_address(dns.reversename.to_address(name)))
        except (dns.exception.SyntaxError, ValueError):
            return None
        targets = self._ptr_targets(address)
        if not targets:
            return None
        return [t if t.endswith(".") else f"{t}." for t in targets] if rdtype == dns.rdatatype.PTR else []

    def _addresses(self, key: str) -> list[str]:
        addresses = []
        for name, value in self.records.items():
            if _name_key(name) == key:
                addresses.extend([value] if isinstance(value, str) else value)
        return addresses

    def _ptr_targets(self, address: str) -> list[str]:
        overrides = {str(ipaddress.ip_address(a)): name for a, name in self.ptr_overrides.items()}
        if address in overrides:
            return [] if overrides[address] is None else [overrides[address]]
        return [
            _name_key(name)
            for name, value in self.records.items()
            if address in {str(ipaddress.ip_address(a)) for a in ([value] if isinstance(value, str) else value)}
        ]

    # --- serving ---------------------------------------------------------------------------------

    def start(self) -> FakeDns:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        udp_class = type("UdpServer", (_UdpServer,), {"address_family": family})
        tcp_class = type("TcpServer", (_TcpServer,), {"address_family": family})
        for _attempt in range(20):  # a free UDP port may be taken for TCP: try another
            udp = udp_class((self.host, 0), _UdpHandler)
            try:
                tcp = tcp_class((self.host, udp.server_address[1]), _TcpHandler)
            except OSError:
                udp.server_close()
                continue
            break
        else:
            raise RuntimeError(f"no port free for both UDP and TCP on {self.host}")
        self.port = udp.server_address[1]
        self._stopped.clear()
        for server in (udp, tcp):
            server.fake = self
            self._servers.append(server)
            threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"fake-dns-{type(server).__name__}",
                daemon=True,
            ).start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()

    def __enter__(self) -> FakeDns:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


class _UdpServer(socketserver.ThreadingUDPServer):
    daemon_threads = True
    block_on_close = False
    fake: FakeDns


class _TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False
    fake: FakeDns

    def handle_error(self, request, client_address):
        pass  # a client hanging up mid-message is part of the tests, not noise


class _UdpHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request
        try:
            query = dns.message.from_wire(data)
        except dns.exception.DNSException:
            return
        response = self.server.fake.answer(query, "udp")
        if response is not None:
            sock.sendto(response.to_wire(), self.client_address)


class _TcpHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        fake = self.server.fake
        while True:
            prefix = self.rfile.read(2)
            if len(prefix) < 2:
                return
            data = self.rfile.read(struct.unpack("!H", prefix)[0])
            try:
                query = dns.message.from_wire(data)
            except dns.exception.DNSException:
                return
            response = fake.answer(query, "tcp")
            if response is None:
                fake._stopped.wait()  # hold the connection open, answering nothing, until the server stops
                return
            wire = response.to_wire()
            self.wfile.write(struct.pack("!H", len(wire)) + wire)


@pytest.fixture
def fake_dns() -> Iterator[FakeDns]:
    """A DNS server on 127.0.0.1 with no records yet: fill `records`, turn knobs, pass `address`."""
    server = FakeDns().start()
    yield server
    server.stop()
