"""datacenters.nsxt and datacenters.vrops against fakes that speak the products' documented APIs over
real HTTPS: pinned trust, login, version and identity, and each failure as a plain error."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from datacenters import nsxt as nsxt_client
from datacenters import pinned_http
from datacenters import vrops as vrops_client
from datacenters.vsphere.errors import CertificateChanged, LoginRefused, Unreachable, WrongServer


def _nsxt(fake, **overrides):
    arguments = dict(
        fqdn=fake.fqdn,
        port=fake.port,
        username=fake.username,
        password=fake.password,
        certificate_pem=fake.certificate.pem,
        timeout=5,
    )
    return nsxt_client.connect(**{**arguments, **overrides})


def _vrops(fake, **overrides):
    arguments = dict(
        fqdn=fake.fqdn,
        port=fake.port,
        username=fake.username,
        password=fake.password,
        certificate_pem=fake.certificate.pem,
        timeout=5,
    )
    return vrops_client.connect(**{**arguments, **overrides})


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- NSX-T Manager ---------------------------------------------------------------------------------


def test_nsxt_login_version_and_identity(nsxt):
    with _nsxt(nsxt) as manager:
        assert nsxt_client.user_read(manager) == {"userName": "admin", "roles": ["enterprise_admin"]}
        about = nsxt_client.about_read(manager)
    assert about["version"] == "3.2.1" and about["build"] == "19283092"
    assert about["fullName"] == "NSX-T Manager 3.2.1" and about["productVersion"] == "3.2.1.0.0.19283092"
    assert about["nodeUuid"] == nsxt.node_uuid and about["clusterId"] == nsxt.cluster_id
    assert about["hostname"] == "nsxmgr-01" and about["clusterStatus"] == "STABLE"
    assert {scheme for _, _, scheme in nsxt.requests} == {"Basic"}


def test_nsxt_wrong_password_is_login_refused_with_the_managers_reason(nsxt):
    with pytest.raises(LoginRefused) as error, _nsxt(nsxt, password="wrong-password") as manager:
        nsxt_client.user_read(manager)
    assert error.value.message.startswith("login refused for admin: The credentials were incorrect")
    assert "wrong-password" not in error.value.message


def test_nsxt_edge_node_is_not_a_manager(nsxt):
    nsxt.node_type = "NSX Edge"
    with pytest.raises(WrongServer, match="is an NSX Edge, not an NSX-T Manager"), _nsxt(nsxt) as manager:
        nsxt_client.about_read(manager)


def test_nsxt_client_refuses_a_vrops_address(vrops):
    with pytest.raises(WrongServer, match="does not offer the NSX-T API"), _nsxt(vrops) as manager:
        nsxt_client.user_read(manager)


def test_nsxt_version_split():
    assert nsxt_client.version_split("3.2.1.0.0.19283092") == ("3.2.1", "19283092")
    assert nsxt_client.version_split("4.1.0") == ("4.1.0", "")


# --- vRealize Operations Manager -------------------------------------------------------------------


def test_vrops_token_version_and_release(vrops):
    with _vrops(vrops) as operations:
        assert operations.token in vrops.tokens
        user = vrops_client.user_read(operations)
        about = vrops_client.about_read(operations)
    assert user == {"userName": "admin", "userId": vrops.user_id, "roles": ["Administrator"]}
    assert about["version"] == "8.10.0" and about["build"] == "20470213"
    assert about["fullName"] == "vRealize Operations Manager 8.10.0" and about["nodeStatus"] == "ONLINE"
    assert vrops.acquired == vrops.released == 1 and not vrops.tokens  # the session was ended
    authenticated = [(m, p, s) for m, p, s in vrops.requests if p != "/suite-api/api/auth/token/acquire"]
    assert authenticated and {s for _, _, s in authenticated} == {"vRealizeOpsToken"}


def test_vrops_wrong_password_is_login_refused(vrops):
    with pytest.raises(LoginRefused) as error, _vrops(vrops, password="wrong-password"):
        pass
    assert error.value.message == "login refused for admin: the user name or password is wrong"
    assert vrops.acquired == 0


def test_vrops_unknown_token_is_acquired_again_once(vrops):
    with _vrops(vrops) as operations:
        vrops.forget_tokens()  # e.g. the cluster restarted: our token is unknown now
        assert vrops_client.about_read(operations)["version"] == "8.10.0"
    assert vrops.acquired == 2


def test_vrops_token_refused_again_is_a_plain_error(vrops):
    vrops.refuse_tokens = True
    with pytest.raises(vrops_client.TokenRefused) as error, _vrops(vrops) as operations:
        vrops_client.about_read(operations)
    assert "refused the token it had just issued for admin" in error.value.message
    assert "is either invalid or has expired" in error.value.message
    assert vrops.acquired == 2


# --- what both share: the pinned certificate, and failures below HTTP ------------------------------


@pytest.mark.parametrize("product", ["nsxt", "vrops"])
def test_a_changed_certificate_is_refused(request, product):
    fake = request.getfixturevalue(product)
    accepted = fake.certificate
    renewed = fake.restart_with_new_certificate()
    connect = _nsxt if product == "nsxt" else _vrops
    with pytest.raises(CertificateChanged) as error:
        with connect(fake, certificate_pem=accepted.pem) as session:
            nsxt_client.user_read(session)
    assert error.value.certificate.thumbprint == renewed.thumbprint
    assert f"now presents SHA-256 {renewed.thumbprint}, not the accepted {accepted.thumbprint}" in error.value.message


@pytest.mark.parametrize("product", ["nsxt", "vrops"])
def test_a_closed_port_is_unreachable(request, product, closed_port):
    fake = request.getfixturevalue(product)
    connect = _nsxt if product == "nsxt" else _vrops
    with pytest.raises(Unreachable) as error:
        with connect(fake, port=closed_port) as session:
            nsxt_client.user_read(session)
    assert error.value.message == f"cannot connect to 127.0.0.1:{closed_port}: connection refused"


def test_the_pinned_session_trusts_only_the_accepted_certificate(nsxt, monkeypatch, tmp_path):
    """Neither certifi's bundle nor REQUESTS_CA_BUNDLE from the environment get into the pinned context."""
    bundle = tmp_path / "bundle.pem"
    bundle.write_text(nsxt.certificate.pem)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    client = pinned_http.RestClient(
        fqdn=nsxt.fqdn, port=nsxt.port, certificate_pem=nsxt.certificate.pem, timeout=5, product="NSX-T Manager"
    )
    adapter = client.session.get_adapter(client.base_url)
    assert client.request("GET", "/api/v1/node").status_code == 403  # no credentials; TLS went through
    assert adapter._context.cert_store_stats()["x509"] == 1  # certifi's bundle would add a hundred more
    client.close()


def test_a_plain_http_port_is_not_the_product(vcsim_tls):
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        with pytest.raises(WrongServer, match="does not speak HTTPS; check the address and port of the NSX-T Manager"):
            with nsxt_client.connect(
                fqdn="127.0.0.1",
                port=server.server_address[1],
                username="u",
                password="p",
                certificate_pem=vcsim_tls.certificate.pem,
                timeout=5,
            ) as manager:
                nsxt_client.user_read(manager)
    finally:
        server.shutdown()
        server.server_close()
