"""datacenters/vsphere (connection, inventory) against a real vCenter API (vcsim): certificate trust, login, errors, inventory."""

import json
import pickle
import socket
import ssl
import threading
import traceback
from collections.abc import Iterator
from datetime import UTC
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pyVmomi import vim

from datacenters.vsphere.connection import certificate_probe, connect
from datacenters.vsphere.errors import CertificateChanged, CertificateInvalid, LoginRefused, NotAVCenter, Unreachable
from datacenters.vsphere.inventory import about_read, inventory_read
from tests.vcsim import Vcsim, tls_files_create

pytestmark = pytest.mark.vcsim


def _connect(simulator: Vcsim, **overrides):
    arguments = dict(
        fqdn=simulator.fqdn,
        port=simulator.port,
        username=simulator.username,
        password=simulator.password,
        certificate_pem=simulator.certificate.pem,
    )
    return connect(**{**arguments, **overrides})


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """Accepts TCP connections (the kernel does) but never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


class _NotFound(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_error(404)

    def log_message(self, *args):
        pass


@pytest.fixture(params=["https", "http"])
def web_server(request, vcsim_tls) -> Iterator[tuple[str, int]]:
    """A web server that is no vSphere API: HTTPS or plain HTTP, answering 404 to everything."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
    if request.param == "https":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(vcsim_tls.cert, vcsim_tls.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield request.param, server.server_address[1]
    server.shutdown()
    server.server_close()


# --- certificate ---------------------------------------------------------------------------------


def test_probe_returns_the_served_certificate(vcsim):
    certificate = certificate_probe(fqdn=vcsim.fqdn, port=vcsim.port)

    assert certificate == vcsim.certificate
    assert len(certificate.thumbprint.split(":")) == 32
    assert certificate.thumbprint == certificate.thumbprint.upper()
    assert certificate.subject == "CN=vcsim.test"
    assert certificate.valid_from.tzinfo == UTC
    assert certificate.valid_from < certificate.valid_to
    assert certificate.to_dict() == {
        "thumbprint": certificate.thumbprint,
        "subject": "CN=vcsim.test",
        "issuer": "CN=vcsim.test",
        "validFrom": certificate.valid_from.isoformat(),
        "validTo": certificate.valid_to.isoformat(),
    }


def test_probe_of_a_closed_port_says_connection_refused(closed_port):
    with pytest.raises(Unreachable) as error:
        certificate_probe(fqdn="127.0.0.1", port=closed_port)

    assert error.value.message == f"cannot connect to 127.0.0.1:{closed_port}: connection refused"


def test_probe_of_an_unknown_name_says_it_does_not_resolve():
    with pytest.raises(Unreachable) as error:
        certificate_probe(fqdn="vcenter.example.invalid", port=443)

    assert error.value.message == "cannot connect to vcenter.example.invalid:443: name does not resolve"


def test_probe_of_a_silent_server_times_out(silent_port):
    with pytest.raises(Unreachable, match="timed out"):
        certificate_probe(fqdn="127.0.0.1", port=silent_port, timeout=0.3)


# --- connect -------------------------------------------------------------------------------------


def test_connect_with_the_pinned_certificate_reads_about(vcsim):
    with _connect(vcsim) as service_instance:
        about = about_read(service_instance)

    assert about["apiType"] == "VirtualCenter"
    assert about["fullName"].startswith("VMware vCenter Server 6.5.0")
    assert about["version"] == "6.5.0"
    assert about["apiVersion"] == "6.5"
    assert about["productLineId"] == "vpx"
    assert about["vendor"] == "VMware, Inc."
    assert about["build"] and about["instanceUuid"]
    assert set(about) == {
        "fullName", "version", "build", "apiVersion", "apiType", "instanceUuid", "productLineId", "vendor",
    }  # fmt: skip


def test_connect_logs_out_on_exit(vcsim):
    with _connect(vcsim) as service_instance:
        session_manager = service_instance.RetrieveContent().sessionManager
        assert session_manager.currentSession.userName == vcsim.username

    with pytest.raises(vim.fault.NotAuthenticated):
        session_manager.currentSession  # noqa: B018 (reading the property asks vCenter, which refuses)


def test_connect_trusts_a_pinned_leaf_whose_issuer_it_never_saw(vcsim_factory, tmp_path):
    """vCenter's certificate is usually issued by its own VMCA: pinning the leaf alone must do."""
    simulator = vcsim_factory(tls=tls_files_create(tmp_path / "tls", signed_by_ca=True))
    assert simulator.certificate.issuer == "CN=vcsim test CA"

    with _connect(simulator) as service_instance:
        assert about_read(service_instance)["apiType"] == "VirtualCenter"


def test_wrong_password_is_refused_without_revealing_it(vcsim):
    password = "Wrong-Secret-4711"
    with pytest.raises(LoginRefused) as error:
        with _connect(vcsim, password=password):
            pass

    assert vcsim.username in error.value.message
    shown = [error.value.message, str(error.value), repr(error.value), *traceback.format_exception(error.value)]
    assert not any(password in text for text in shown)


def test_connect_to_a_closed_port_is_unreachable(closed_port, vcsim_tls):
    with pytest.raises(Unreachable) as error:
        with connect(
            fqdn="127.0.0.1", port=closed_port, username="u", password="p", certificate_pem=vcsim_tls.certificate.pem
        ):
            pass

    assert error.value.message == f"cannot connect to 127.0.0.1:{closed_port}: connection refused"


def test_connect_to_a_silent_server_times_out(silent_port, vcsim_tls):
    with pytest.raises(Unreachable, match="timed out"):
        with connect(
            fqdn="127.0.0.1",
            port=silent_port,
            username="u",
            password="p",
            certificate_pem=vcsim_tls.certificate.pem,
            timeout=0.3,
        ):
            pass


def test_a_changed_certificate_is_reported_with_the_new_thumbprint(vcsim):
    accepted, port = vcsim.certificate, vcsim.port
    presented = vcsim.restart_with_new_certificate()
    assert presented.thumbprint != accepted.thumbprint
    assert vcsim.port == port

    with pytest.raises(CertificateChanged) as error:
        with _connect(vcsim, certificate_pem=accepted.pem):
            pass

    assert error.value.certificate == presented
    assert error.value.accepted_thumbprint == accepted.thumbprint
    assert presented.thumbprint in error.value.message
    assert accepted.thumbprint in error.value.message
    assert "accept the new certificate" in error.value.message
    with _connect(vcsim, certificate_pem=error.value.certificate.pem) as service_instance:
        assert about_read(service_instance)["apiType"] == "VirtualCenter"


def test_a_certificate_tls_refuses_is_invalid_not_changed(vcsim_factory):
    simulator = vcsim_factory(tls=None)  # vcsim's own certificate has a 1024-bit key

    with pytest.raises(CertificateInvalid, match="key too weak"):
        with _connect(simulator):
            pass


def test_an_esxi_host_is_not_a_vcenter(vcsim_factory):
    simulator = vcsim_factory(esx=True)

    with pytest.raises(NotAVCenter, match="ESXi host"):
        with _connect(simulator):
            pass


def test_a_web_server_is_not_a_vcenter(web_server, vcsim_tls):
    scheme, port = web_server

    with pytest.raises(NotAVCenter) as error:
        with connect(
            fqdn="127.0.0.1", port=port, username="u", password="p", certificate_pem=vcsim_tls.certificate.pem
        ):
            pass

    expected = "does not speak HTTPS" if scheme == "http" else "does not offer the vSphere API"
    assert expected in error.value.message


def test_errors_survive_pickling(vcsim):
    """Celery's prefork pool pickles the exception of a failed task."""
    error = CertificateChanged("changed", certificate=vcsim.certificate, accepted_thumbprint="AA:BB")

    copy = pickle.loads(pickle.dumps(error))

    assert (copy.message, copy.certificate, copy.accepted_thumbprint) == ("changed", vcsim.certificate, "AA:BB")


# --- inventory -----------------------------------------------------------------------------------


@pytest.fixture
def inventory(vcsim) -> dict[str, object]:
    with _connect(vcsim) as service_instance:
        items = inventory_read(service_instance)
    return {item.path: item for item in items}


def test_inventory_has_the_default_vcsim_model(inventory):
    kinds = {path: item.kind for path, item in inventory.items()}
    uplinks = [path for path in kinds if path.startswith("/DC0/network/DVS0-DVUplinks-")]
    assert len(uplinks) == 1  # vcsim names it after the switch's moref
    del kinds[uplinks[0]]

    assert kinds == {
        "/DC0": "datacenter",
        "/DC0/host/DC0_C0": "cluster",
        "/DC0/host/DC0_C0/DC0_C0_H0": "host",
        "/DC0/host/DC0_C0/DC0_C0_H1": "host",
        "/DC0/host/DC0_C0/DC0_C0_H2": "host",
        "/DC0/host/DC0_C0/Resources": "resource_pool",
        "/DC0/host/DC0_H0/DC0_H0": "host",
        "/DC0/host/DC0_H0/Resources": "resource_pool",
        "/DC0/datastore/LocalDS_0": "datastore",
        "/DC0/network/VM Network": "network",
        "/DC0/network/DVS0": "distributed_switch",
        "/DC0/network/DC0_DVPG0": "network",
        "/DC0/vm": "folder",
    }


def test_inventory_parents_form_a_tree_of_items(inventory):
    datacenter = inventory["/DC0"]
    cluster = inventory["/DC0/host/DC0_C0"]
    standalone = inventory["/DC0/host/DC0_H0/DC0_H0"]

    assert (datacenter.name, datacenter.parent, datacenter.datacenter) == ("DC0", None, None)
    assert datacenter.moref.startswith("datacenter-")
    assert cluster.parent == datacenter.moref
    assert standalone.parent == datacenter.moref  # its compute resource is not an item
    assert inventory["/DC0/host/DC0_C0/Resources"].parent == cluster.moref
    assert inventory["/DC0/host/DC0_H0/Resources"].parent == standalone.moref
    assert inventory["/DC0/vm"].parent == datacenter.moref
    assert inventory["/DC0/network/DC0_DVPG0"].parent == datacenter.moref
    cluster_hosts = [i for i in inventory.values() if i.kind == "host" and i.parent == cluster.moref]
    assert sorted(host.name for host in cluster_hosts) == ["DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2"]
    items = {item.moref for item in inventory.values()}
    assert all(item.parent in items for item in inventory.values() if item.kind != "datacenter")
    assert all(item.datacenter == "DC0" for item in inventory.values() if item.kind != "datacenter")


def test_inventory_properties(inventory):
    cluster = inventory["/DC0/host/DC0_C0"]
    assert cluster.properties["numHosts"] == 3
    assert cluster.properties["totalCpu"] > 0 and cluster.properties["totalMemory"] > 0

    host = inventory["/DC0/host/DC0_C0/DC0_C0_H1"].properties
    assert host == {"connectionState": "connected", "powerState": "poweredOn", "inMaintenanceMode": False,
                    "cluster": "DC0_C0"}  # fmt: skip
    assert inventory["/DC0/host/DC0_H0/DC0_H0"].properties["cluster"] is None

    assert inventory["/DC0/host/DC0_C0/Resources"].properties == {
        "ownerKind": "cluster", "owner": "DC0_C0", "ownerMoref": cluster.moref,
    }  # fmt: skip
    assert inventory["/DC0/host/DC0_H0/Resources"].properties == {
        "ownerKind": "host", "owner": "DC0_H0", "ownerMoref": inventory["/DC0/host/DC0_H0/DC0_H0"].moref,
    }  # fmt: skip

    datastore = inventory["/DC0/datastore/LocalDS_0"].properties
    assert datastore["capacity"] > datastore["freeSpace"] > 0
    assert datastore["accessible"] is True
    assert datastore["type"] and datastore["url"]

    assert inventory["/DC0/network/VM Network"].properties == {"type": "Network", "vlan": None}
    portgroup = inventory["/DC0/network/DC0_DVPG0"].properties
    assert portgroup == {"type": "DistributedVirtualPortgroup", "switch": "DVS0", "uplink": False, "vlan": 0}
    assert inventory["/DC0/network/DVS0"].properties["uuid"]


def test_inventory_items_turn_into_json(inventory):
    item = inventory["/DC0/datastore/LocalDS_0"]

    document = json.loads(json.dumps([i.to_dict() for i in inventory.values()]))

    assert {"kind": "datastore", "moref": item.moref, "name": "LocalDS_0", "parent": inventory["/DC0"].moref,
            "datacenter": "DC0", "path": "/DC0/datastore/LocalDS_0",
            "properties": item.properties} in document  # fmt: skip


def test_inventory_is_read_in_a_few_round_trips(vcsim_factory):
    simulator = vcsim_factory(dc=2, cluster=2, pool=2, folder=2)
    with _connect(simulator) as service_instance:
        stub = service_instance._stub
        calls = []
        original = stub.InvokeMethod

        def counting(mo, info, args, *rest, **kwargs):
            calls.append(info.name)
            return original(mo, info, args, *rest, **kwargs)

        stub.InvokeMethod = counting
        items = inventory_read(service_instance)
        del stub.InvokeMethod

    assert len(items) > 40
    assert len(calls) <= 3, calls


def test_inventory_paths_follow_nested_folders_and_pools(vcsim_factory):
    simulator = vcsim_factory(folder=1, pool=1)  # every top folder gets a sub-folder F0
    with _connect(simulator) as service_instance:
        inventory = {item.path: item for item in inventory_read(service_instance)}

    datacenter = inventory["/F0/DC0"]
    assert datacenter.parent is None  # the folder F0 it sits in is not an item
    assert inventory["/F0/DC0/host/F0/DC0_C0"].parent == datacenter.moref
    assert inventory["/F0/DC0/datastore/F0/LocalDS_0"].datacenter == "DC0"
    assert inventory["/F0/DC0/vm/F0"].parent == inventory["/F0/DC0/vm"].moref
    child_pool = inventory["/F0/DC0/host/F0/DC0_C0/Resources/DC0_C0_RP1"]
    assert child_pool.parent == inventory["/F0/DC0/host/F0/DC0_C0/Resources"].moref
    assert child_pool.properties["owner"] == "DC0_C0"
