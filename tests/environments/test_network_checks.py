"""The network pre-checks of a deployment: DNS forward and reverse against a real DNS server in a
thread, and "does something answer at this address" against real sockets on 127.0.0.0/8."""

import socket
import time
from contextlib import ExitStack
from functools import partial

import pytest

from environments.deploy import network_checks
from environments.deploy.network_checks import FAIL, PASS, WARN, NetworkCheck, address_in_use, checks_run, dns_check
from tests.fakes.dns import FakeDns, fake_dns  # noqa: F401

HOST = "vcd-01.lab.example.com"
IP = "127.0.1.11"


def check(fake: FakeDns, host_name: str = HOST, ip: str = IP, **kwargs) -> NetworkCheck:
    return dns_check(host_name, ip, nameservers=[fake.address], **kwargs)


def timed(function, *args, **kwargs):
    start = time.monotonic()
    result = function(*args, **kwargs)
    return result, time.monotonic() - start


# --- DNS: what DNS answers -----------------------------------------------------------------------------


def test_dns_passes_when_forward_and_reverse_agree(fake_dns):
    fake_dns.records[HOST] = IP

    result = check(fake_dns)

    assert result.status == PASS
    assert result.details == [f"{HOST} resolves to {IP}", f"{IP} reverse-resolves to {HOST}"]
    assert result.message == f"{HOST} resolves to {IP}; {IP} reverse-resolves to {HOST}"


def test_dns_passes_when_the_address_is_one_of_several(fake_dns):
    fake_dns.records[HOST] = ["127.0.1.10", IP]

    assert check(fake_dns).status == PASS


def test_dns_fails_when_the_name_resolves_to_another_address(fake_dns):
    fake_dns.records[HOST] = "127.0.1.9"
    fake_dns.ptr_overrides[IP] = HOST

    result = check(fake_dns)

    assert result.status == FAIL
    assert result.message == f"{HOST} resolves to 127.0.1.9, not {IP}"
    assert result.details[1] == f"{IP} reverse-resolves to {HOST}"


@pytest.mark.parametrize("records", [{}, {HOST: []}], ids=["nxdomain", "name-without-address"])
def test_dns_fails_when_the_name_has_no_a_record(fake_dns, records):
    fake_dns.records.update(records)
    fake_dns.ptr_overrides[IP] = HOST

    result = check(fake_dns)

    assert result.status == FAIL
    assert result.message == f"no A record for {HOST}"


def test_dns_fails_when_the_address_has_no_ptr_record(fake_dns):
    fake_dns.records[HOST] = IP
    fake_dns.ptr_overrides[IP] = None

    result = check(fake_dns)

    assert result.status == FAIL
    assert result.message == f"no PTR record for {IP}"
    assert result.details[0] == f"{HOST} resolves to {IP}"


def test_dns_fails_when_the_address_reverse_resolves_to_another_name(fake_dns):
    fake_dns.records[HOST] = IP
    fake_dns.ptr_overrides[IP] = "other.example.com"

    result = check(fake_dns)

    assert result.status == FAIL
    assert result.message == f"{IP} reverse-resolves to other.example.com, not {HOST}"


def test_dns_reports_both_mismatches(fake_dns):
    fake_dns.records[HOST] = "127.0.1.9"

    result = check(fake_dns)

    assert result.status == FAIL
    assert result.message == f"{HOST} resolves to 127.0.1.9, not {IP}; no PTR record for {IP}"


def test_dns_ignores_case_and_the_trailing_dot(fake_dns):
    fake_dns.records[HOST] = IP
    fake_dns.ptr_overrides[IP] = "VCD-01.Lab.Example.COM."

    result = check(fake_dns, host_name="Vcd-01.LAB.example.com.")

    assert result.status == PASS
    assert result.message.startswith("Vcd-01.LAB.example.com resolves to")


def test_dns_asks_again_over_tcp_when_the_udp_answer_is_truncated(fake_dns):
    fake_dns.records[HOST] = IP
    fake_dns.truncate_udp = True

    assert check(fake_dns).status == PASS
    assert {transport for transport, _name, _type in fake_dns.queries} == {"udp", "tcp"}


# --- DNS: when DNS cannot be asked ---------------------------------------------------------------------


def test_dns_warns_quickly_when_the_server_does_not_answer(fake_dns):
    fake_dns.records[HOST] = IP
    fake_dns.silent = True

    result, elapsed = timed(check, fake_dns, timeout=0.5)

    assert result.status == WARN
    assert result.message == (
        f"DNS unreachable ({fake_dns.address} did not answer in 0.5 s): forward and reverse lookups were not checked"
    )
    assert result.details == [
        f"DNS unreachable ({fake_dns.address} did not answer in 0.5 s): the forward lookup of {HOST} was not checked",
        f"DNS unreachable ({fake_dns.address} did not answer in 0.5 s): the reverse lookup of {IP} was not checked",
    ]
    assert fake_dns.queries, "the server was asked"
    assert 0.45 < elapsed < 0.9  # both lookups wait at once: not 2 × 0.5 s


def test_dns_warns_when_nothing_listens_on_the_port():
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()

    result, elapsed = timed(dns_check, HOST, IP, nameservers=[f"127.0.0.1:{port}"], timeout=0.5)

    assert result.status == WARN
    assert result.message.startswith(f"DNS unreachable (127.0.0.1:{port} ")
    assert result.message.endswith(": forward and reverse lookups were not checked")
    assert elapsed < 0.9


def test_dns_warns_on_servfail(fake_dns):
    fake_dns.records[HOST] = IP
    fake_dns.servfail = True

    result, elapsed = timed(check, fake_dns)

    assert result.status == WARN
    assert result.message == (
        f"DNS could not answer ({fake_dns.address} answered SERVFAIL): forward and reverse lookups were not checked"
    )
    assert elapsed < 1  # an answer, even a bad one, needs no waiting for the timeout


def test_dns_asks_the_next_server_when_the_first_is_silent(fake_dns):
    fake_dns.records[HOST] = IP
    with FakeDns(silent=True) as silent:
        result = dns_check(HOST, IP, nameservers=[silent.address, fake_dns.address], timeout=1)

    assert result.status == PASS


def test_dns_without_servers_reads_resolv_conf(tmp_path, monkeypatch):
    resolv_conf = tmp_path / "resolv.conf"
    resolv_conf.write_text("search lab.example.com\n")
    monkeypatch.setattr(network_checks, "RESOLV_CONF", str(resolv_conf))

    result = dns_check(HOST, IP, nameservers=[])

    assert result.status == WARN
    assert result.message == (
        f"no DNS server configured ({resolv_conf} lists none): forward and reverse lookups were not checked"
    )


def test_dns_server_given_as_bracketed_ipv6_with_port():
    try:
        fake = FakeDns({HOST: IP}, host="::1").start()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    try:
        assert fake.address.startswith("[::1]:")
        assert dns_check(HOST, IP, nameservers=[fake.address]).status == PASS
    finally:
        fake.stop()


@pytest.mark.parametrize("server", ["dns.lab.example.com", "10.0.0.2:dns", "10.0.0.2:70000", "[fd00::2"])
def test_dns_server_that_is_not_an_address_is_refused(server):
    with pytest.raises(ValueError, match="DNS server"):
        dns_check(HOST, IP, nameservers=[server])


# --- Address in use ------------------------------------------------------------------------------------


def free_ports(host: str, count: int) -> list[int]:
    """Ports on which nothing listens at `host` (taken from the kernel, then released)."""
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind((host, 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def silent_port(stack: ExitStack, host: str) -> int:
    """A port at `host` whose connections hang like those to a machine that drops packets: a listener
    whose accept queue is full, so that Linux drops further SYNs (TEST-NET addresses are not reliably
    silent: here the default gateway is 192.0.2.1 and answers)."""
    listener = stack.enter_context(socket.socket())
    listener.bind((host, 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    stack.enter_context(socket.create_connection((host, port), timeout=1))  # fills the queue
    return port


def test_address_in_use_fails_when_a_port_accepts():
    with socket.socket() as listener:
        listener.bind(("127.0.3.7", 0))
        listener.listen()
        port = listener.getsockname()[1]
        ports = [*free_ports("127.0.3.7", 3), port]

        result = address_in_use("127.0.3.7", ports=ports, timeout=0.5)

    assert result.status == FAIL
    assert result.message == f"127.0.3.7 already answers on port {port}: another machine uses this address"
    assert f"port {port}: accepted a connection" in result.details
    assert f"port {ports[0]}: refused" in result.details


def test_address_in_use_passes_when_nothing_answers():
    ports = free_ports("127.0.3.8", 4)

    result = address_in_use("127.0.3.8", ports=ports, timeout=0.5)

    assert result.status == PASS
    assert result.message == f"nothing answers at 127.0.3.8 on ports {', '.join(map(str, ports))}"
    assert result.details == [f"port {port}: refused" for port in ports]


def test_address_in_use_tries_every_port_at_once():
    with ExitStack() as stack:
        ports = [silent_port(stack, "127.0.3.9") for _ in range(4)]

        result, elapsed = timed(address_in_use, "127.0.3.9", ports=ports, timeout=0.5)

    assert result.status == PASS
    assert result.details == [f"port {port}: no answer in 0.5 s" for port in ports]
    assert 0.45 < elapsed < 0.9  # about the timeout, not 4 × 0.5 s


# --- Many at once --------------------------------------------------------------------------------------


def test_many_checks_run_at_once(fake_dns):
    fake_dns.silent = True
    with ExitStack() as stack:
        silent = [silent_port(stack, "127.0.4.1") for _ in range(2)]
        checks = {}
        for n in range(16):
            ip = f"127.0.4.{n + 10}"
            checks[(n, "dns")] = partial(
                dns_check, f"node-{n}.lab.example.com", ip, nameservers=[fake_dns.address], timeout=0.5
            )
            checks[(n, "address")] = partial(address_in_use, "127.0.4.1", ports=silent, timeout=0.5)

        results, elapsed = timed(checks_run, checks, max_workers=32)

    assert list(results) == list(checks)
    assert {key: result.status for key, result in results.items()} == {
        (n, kind): WARN if kind == "dns" else PASS for n, kind in checks
    }
    assert elapsed < 1.5  # 32 checks of about 0.5-0.7 s each: together, not one after the other


def test_checks_run_one_at_a_time_when_told():
    """The measure above can fail: with one worker the same kind of checks take their sum."""
    with ExitStack() as stack:
        port = silent_port(stack, "127.0.4.2")
        checks = {n: partial(address_in_use, "127.0.4.2", ports=[port], timeout=0.3) for n in range(3)}

        _results, elapsed = timed(checks_run, checks, max_workers=1)

    assert elapsed > 0.85


def test_checks_run_with_nothing_to_check():
    assert checks_run({}) == {}
