"""Network pre-checks of a deployment, run before a node is deployed: does DNS agree with the node's
host name and address (forward and reverse), and does something already answer at that address.

Plain Python, no Django: the caller passes DNS servers and timeouts in, and gets `NetworkCheck`s back.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import selectors
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar, cast

import dns.exception
import dns.name
import dns.nameserver
import dns.resolver
import dns.reversename

PASS, WARN, FAIL = "PASS", "WARN", "FAIL"
_SEVERITY = {PASS: 0, WARN: 1, FAIL: 2}
DEFAULT_PORTS = (22, 80)  # SSH, HTTP; the pre-checks add the appliance ports the product types declare
RESOLV_CONF = "/etc/resolv.conf"  # read when no DNS servers are given

K = TypeVar("K")


@dataclass(frozen=True)
class NetworkCheck:
    status: str  # PASS, WARN or FAIL
    message: str  # one sentence a person can act on
    details: list[str] = field(default_factory=list)  # one line per thing looked at


def status_worst(statuses: Iterable[str]) -> str:
    """FAIL over WARN over PASS (PASS for nothing at all)."""
    return max(statuses, key=_SEVERITY.__getitem__, default=PASS)


# --- DNS ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Lookup:
    status: str
    line: str
    trouble: str = ""  # why DNS could not be asked; the same text for both lookups merges into one sentence


def dns_check(host_name: str, ip: str, *, nameservers: list[str], timeout: float = 3.0) -> NetworkCheck:
    """Whether `host_name` resolves to `ip` (among its A records) and `ip`'s PTR names `host_name`.

    `nameservers` are "ip", "ip:port" or "[ipv6]:port"; an empty list means the servers of
    /etc/resolv.conf. FAIL when DNS answers something else (or nothing: no such record); WARN when DNS
    cannot be asked (no answer within `timeout`, SERVFAIL, REFUSED, no server configured), because then
    nothing is known either way. Both lookups run at once, so the whole check takes about `timeout`
    at most (+0.2 s, see `_resolver`).
    Raises ValueError for an `ip`, host name or DNS server that is not one.
    """
    address = ipaddress.ip_address(ip)
    try:
        name = dns.name.from_text(host_name)  # absolute: no search domain is ever appended
    except dns.exception.DNSException as exc:
        raise ValueError(f"{host_name!r} is not a DNS name: {exc}") from exc
    shown_name = host_name.rstrip(".")
    try:
        resolver = _resolver(nameservers, timeout)
    except dns.resolver.NoResolverConfiguration:
        trouble = f"no DNS server configured ({RESOLV_CONF} lists none)"
        return _dns_combined(
            _Lookup(WARN, f"{trouble}: the forward lookup of {shown_name} was not checked", trouble),
            _Lookup(WARN, f"{trouble}: the reverse lookup of {address} was not checked", trouble),
        )
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="dns-check") as pool:
        forward = pool.submit(_forward_lookup, resolver, name, shown_name, address, timeout)
        reverse = pool.submit(_reverse_lookup, resolver, shown_name, address, timeout)
        return _dns_combined(forward.result(), reverse.result())


def _forward_lookup(
    resolver: dns.resolver.Resolver,
    name: dns.name.Name,
    shown_name: str,
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
    timeout: float,
) -> _Lookup:
    rdtype = "AAAA" if address.version == 6 else "A"
    try:
        answer = resolver.resolve(name, rdtype, search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return _Lookup(FAIL, f"no {rdtype} record for {shown_name}")
    except dns.exception.DNSException as exc:
        trouble = _dns_trouble(exc, resolver, timeout)
        return _Lookup(WARN, f"{trouble}: the forward lookup of {shown_name} was not checked", trouble)
    found = [ipaddress.ip_address(record.address) for record in answer]
    if address in found:
        return _Lookup(PASS, f"{shown_name} resolves to {address}")
    return _Lookup(FAIL, f"{shown_name} resolves to {', '.join(map(str, found))}, not {address}")


def _reverse_lookup(
    resolver: dns.resolver.Resolver,
    shown_name: str,
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
    timeout: float,
) -> _Lookup:
    try:
        answer = resolver.resolve(dns.reversename.from_address(str(address)), "PTR", search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return _Lookup(FAIL, f"no PTR record for {address}")
    except dns.exception.DNSException as exc:
        trouble = _dns_trouble(exc, resolver, timeout)
        return _Lookup(WARN, f"{trouble}: the reverse lookup of {address} was not checked", trouble)
    targets = [record.target.to_text().rstrip(".") for record in answer]
    if shown_name.lower() in (target.lower() for target in targets):
        return _Lookup(PASS, f"{address} reverse-resolves to {shown_name}")
    return _Lookup(FAIL, f"{address} reverse-resolves to {', '.join(targets)}, not {shown_name}")


def _dns_combined(forward: _Lookup, reverse: _Lookup) -> NetworkCheck:
    status = status_worst((forward.status, reverse.status))
    details = [forward.line, reverse.line]
    if forward.trouble and forward.trouble == reverse.trouble:
        message = f"{forward.trouble}: forward and reverse lookups were not checked"
    else:
        message = "; ".join(lookup.line for lookup in (forward, reverse) if lookup.status == status)
    return NetworkCheck(status=status, message=message, details=details)


def _resolver(nameservers: list[str], timeout: float) -> dns.resolver.Resolver:
    if nameservers:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [dns.nameserver.Do53Nameserver(*_nameserver_parse(entry)) for entry in nameservers]
    else:
        resolver = dns.resolver.Resolver(filename=RESOLV_CONF)
    resolver.lifetime = timeout
    # Two rounds over the servers within the lifetime: one lost UDP datagram does not turn into a
    # warning, and a dead first server leaves time to ask the others. (dnspython pauses 0.1 s before
    # the second round and 0.2 s before giving up, so a silent DNS takes `timeout` + 0.2 s.)
    resolver.timeout = timeout / (2 * max(len(resolver.nameservers), 1))
    return resolver


def _nameserver_parse(entry: str) -> tuple[str, int]:
    """ "10.0.0.2" → ("10.0.0.2", 53); "10.0.0.2:5353", "[fd00::2]:5353", "fd00::2" likewise."""
    text = entry.strip()
    host, port = text, "53"
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError(f"DNS server {entry!r}: expected [IPv6]:port")
        port = rest[1:] or "53"
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"DNS server {entry!r} is not an IP address (optionally with :port)") from None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"DNS server {entry!r}: the port must be a number from 1 to 65535")
    return str(address), int(port)


def _server_text(address: str, port: int) -> str:
    if port == 53:
        return address
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def _dns_trouble(exc: dns.exception.DNSException, resolver: dns.resolver.Resolver, timeout: float) -> str:
    """Why DNS could not be asked, in a few words naming the servers."""
    addresses = {}  # dnspython's error list names a server by str(): "Do53:10.0.0.2@53"
    for server in resolver.nameservers:
        if isinstance(server, dns.nameserver.AddressAndPortNameserver):
            addresses[str(server)] = _server_text(server.address, server.port)
        else:  # as read from resolv.conf
            addresses[str(server)] = _server_text(
                str(server), resolver.nameserver_ports.get(str(server), resolver.port)
            )
    if isinstance(exc, dns.exception.Timeout):
        return f"DNS unreachable ({', '.join(addresses.values())} did not answer in {timeout:g} s)"
    if isinstance(exc, dns.resolver.NoNameservers):
        reasons, answered = [], False
        for server, _tcp, port, error, _response in exc.kwargs.get("errors") or []:
            where = addresses.get(str(server)) or _server_text(str(server), port)
            if isinstance(error, str):  # an rcode: SERVFAIL, REFUSED, NOTIMP …
                answered = True
                reason = f"{where} answered {error}"
            elif isinstance(error, ConnectionRefusedError):
                reason = f"{where} refused the connection"
            elif isinstance(error, OSError):
                reason = f"{where}: {error.strerror or error}"
            else:
                answered = True
                reason = f"{where}: {error}"
            if reason not in reasons:
                reasons.append(reason)
        verdict = "DNS could not answer" if answered else "DNS unreachable"
        return f"{verdict} ({'; '.join(reasons) or 'no server answered'})"
    return f"DNS could not answer ({exc})"


# --- Address in use ----------------------------------------------------------------------------------


def address_in_use(ip: str, *, ports: Iterable[int] = DEFAULT_PORTS, timeout: float = 1.0) -> NetworkCheck:
    """Whether something already answers at `ip`: a TCP connection to any of `ports` is accepted → FAIL.

    All ports are tried at once with non-blocking sockets, so the check takes about `timeout` however
    many ports there are. Refused, unreachable and unanswered connections count as "nothing here" → PASS.

    Why TCP and not ping: sending ICMP echo needs a raw socket (root or CAP_NET_RAW), which a web or
    worker process should not have, and many networks drop ICMP anyway. The price, said plainly: a
    machine that accepts none of these ports is not detected. A host firewall that drops everything
    looks exactly like an empty address; and a refused connection is taken as "free" although it may
    come from a live host that just has these ports closed (or from a firewall on the way that rejects
    on its behalf; the two cannot be told apart from here). PASS therefore means "nothing answered",
    not "the address is free".
    """
    address = ipaddress.ip_address(ip)
    ports = tuple(ports)
    if not ports:
        raise ValueError("address_in_use needs at least one port")
    outcomes = _connect_all(address, ports, timeout)
    details = [f"port {port}: {outcomes[port]}" for port in ports]
    accepted = [port for port in ports if outcomes[port] == _ACCEPTED]
    if accepted:
        return NetworkCheck(
            status=FAIL,
            details=details,
            message=f"{address} already answers on {_ports_text(accepted)}: another machine uses this address",
        )
    return NetworkCheck(status=PASS, details=details, message=f"nothing answers at {address} on {_ports_text(ports)}")


_ACCEPTED = "accepted a connection"
_IN_PROGRESS = {errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY, getattr(errno, "WSAEWOULDBLOCK", -1)}


def _connect_all(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, ports: tuple[int, ...], timeout: float
) -> dict[int, str]:
    """Port → what happened, trying every port at once until `timeout` has passed."""
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    outcomes: dict[int, str] = {}
    pending: dict[socket.socket, int] = {}
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        try:
            for port in ports:
                sock = socket.socket(family, socket.SOCK_STREAM)
                sock.setblocking(False)
                error = sock.connect_ex((str(address), port))
                if error in _IN_PROGRESS:
                    pending[sock] = port
                    selector.register(sock, selectors.EVENT_WRITE)
                else:
                    outcomes[port] = _connect_outcome(error)
                    sock.close()
            while pending and (remaining := deadline - time.monotonic()) > 0:
                for key, _events in selector.select(remaining):
                    sock = cast(socket.socket, key.fileobj)  # only sockets are registered
                    selector.unregister(sock)
                    outcomes[pending.pop(sock)] = _connect_outcome(sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
                    sock.close()
            for port in pending.values():
                outcomes[port] = f"no answer in {timeout:g} s"
        finally:
            for sock in pending:
                sock.close()
    return outcomes


def _connect_outcome(error: int) -> str:
    if error == 0:
        return _ACCEPTED
    if error == errno.ECONNREFUSED:
        return "refused"
    return f"unreachable ({os.strerror(error)})"


def _ports_text(ports: Iterable[int]) -> str:
    ports = list(ports)
    return f"port{'s' if len(ports) > 1 else ''} {', '.join(map(str, ports))}"


# --- Many at once ------------------------------------------------------------------------------------


def checks_run(checks: Mapping[K, Callable[[], NetworkCheck]], *, max_workers: int = 16) -> dict[K, NetworkCheck]:
    """Run independent checks at once (each mostly waits on the network) and return their results
    under the same keys, in the same order. A check that raises makes this raise, after the others end.

        checks_run({(node_id, "dns"): partial(dns_check, fqdn, ip, nameservers=servers),
                    (node_id, "address"): partial(address_in_use, ip)})
    """
    if not checks:
        return {}
    with ThreadPoolExecutor(max_workers=min(max_workers, len(checks)), thread_name_prefix="network-check") as pool:
        futures = {key: pool.submit(check) for key, check in checks.items()}
        return {key: future.result() for key, future in futures.items()}
