"""The product's one door to vSphere: read and pin a vCenter's certificate, log in, read its inventory.

Plain Python (no Django), so web requests, workers and tests use it alike; errors are our own.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import logging
import socket
import ssl
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyVmomi import SoapStubAdapter, vim, vmodl
from pyVmomi.VmomiSupport import GetServiceVersions, versionIdMap

from lifecycle.errors import ApplicationError

logger = logging.getLogger(__name__)

PropertyCollector = vmodl.query.PropertyCollector


# ---------------------------------------------------------------------------------------------
# Errors


class VSphereError(ApplicationError):
    """Something a vSphere administrator can act on; `message` says what, in their words."""


class Unreachable(VSphereError):
    """Nothing answers at that address: refused, timed out, or the name does not resolve."""


class LoginRefused(VSphereError):
    """vCenter refused the user name or password."""


class CertificateChanged(VSphereError):
    """The server presents another certificate than the one accepted; `certificate` is the new one."""

    def __init__(self, message: str, *, certificate: ServerCertificate, accepted_thumbprint: str):
        super().__init__(message)
        self.certificate = certificate
        self.accepted_thumbprint = accepted_thumbprint


class CertificateInvalid(VSphereError):
    """TLS failed for another reason than a changed certificate (expired, too weak, broken)."""


class WrongServer(VSphereError):
    """The address answers, but not as the product expected (no such API, or plain HTTP)."""


class NotAVCenter(WrongServer):
    """The address answers, but not as a vCenter Server (an ESXi host, or no vSphere API at all)."""


# ---------------------------------------------------------------------------------------------
# Certificates: trust on first use


@dataclass(frozen=True)
class ServerCertificate:
    pem: str
    thumbprint: str  # SHA-256 of the DER bytes, "AB:CD:…"
    subject: str  # RFC 4514
    issuer: str
    valid_from: datetime  # UTC
    valid_to: datetime

    @classmethod
    def from_der(cls, der: bytes) -> ServerCertificate:
        certificate = x509.load_der_x509_certificate(der)
        return cls(
            pem=certificate.public_bytes(Encoding.PEM).decode("ascii"),
            thumbprint=_thumbprint(der),
            subject=certificate.subject.rfc4514_string(),
            issuer=certificate.issuer.rfc4514_string(),
            valid_from=certificate.not_valid_before_utc,
            valid_to=certificate.not_valid_after_utc,
        )

    @classmethod
    def from_pem(cls, pem: str) -> ServerCertificate:
        return cls.from_der(x509.load_pem_x509_certificate(pem.encode("ascii")).public_bytes(Encoding.DER))

    def to_dict(self) -> dict[str, str]:
        return {
            "thumbprint": self.thumbprint,
            "subject": self.subject,
            "issuer": self.issuer,
            "validFrom": self.valid_from.isoformat(),
            "validTo": self.valid_to.isoformat(),
        }


def _thumbprint(der: bytes) -> str:
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def certificate_probe(*, fqdn: str, port: int = 443, timeout: float = 10) -> ServerCertificate:
    """The certificate the server presents, read without verifying it (the user decides to trust it)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with errors_translated(fqdn=fqdn, port=port):
        with socket.create_connection((fqdn, port), timeout=timeout) as sock:
            with context.wrap_socket(sock, server_hostname=fqdn) as tls:
                der = tls.getpeercert(binary_form=True)
    if not der:
        raise CertificateInvalid(f"{fqdn}:{port} presented no certificate")
    return ServerCertificate.from_der(der)


def pinned_context(*, certificate_pem: str) -> ssl.SSLContext:
    """Trust exactly the accepted certificate, even a leaf whose issuer (VMCA) we never saw.

    The NSX-T and vRealize Operations clients (datacenters/rest.py) pin the same way.
    """
    try:
        context = ssl.create_default_context(cadata=certificate_pem)
    except (ssl.SSLError, ValueError) as exc:
        raise CertificateInvalid("the accepted certificate is not a valid PEM certificate") from exc
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    # Strict RFC 5280 checks (default from Python 3.13) reject common vCenter self-signed
    # certificates (no authority key identifier); they add nothing when we pin the exact certificate.
    context.verify_flags &= ~ssl.VERIFY_X509_STRICT
    # The accepted certificate itself is the identity; vCenters are often reached by IP or alias.
    context.check_hostname = False
    return context


# ---------------------------------------------------------------------------------------------
# Connecting


@contextlib.contextmanager
def connect(
    *,
    fqdn: str,
    port: int = 443,
    username: str,
    password: str,
    certificate_pem: str,
    timeout: float = 30,
) -> Iterator[vim.ServiceInstance]:
    """A logged-in ServiceInstance of the vCenter at fqdn:port, trusting only `certificate_pem`."""
    context = pinned_context(certificate_pem=certificate_pem)
    with errors_translated(fqdn=fqdn, port=port, certificate_pem=certificate_pem):
        version = _api_version_choose(fqdn=fqdn, port=port, context=context, timeout=timeout)
        stub = SoapStubAdapter(
            host=fqdn, port=port, version=version, sslContext=context, httpConnectionTimeout=timeout
        )
        service_instance = vim.ServiceInstance("ServiceInstance", stub)
        try:
            _login(service_instance, fqdn=fqdn, port=port, username=username, password=password)
        except BaseException:
            stub.DropConnections()
            raise
    logger.debug("connected to %s:%s as %s (API %s)", fqdn, port, username, versionIdMap[version])
    try:
        with errors_translated(fqdn=fqdn, port=port, certificate_pem=certificate_pem):
            yield service_instance
    finally:
        _logout(service_instance, fqdn=fqdn, port=port)


def _api_version_choose(*, fqdn: str, port: int, context: ssl.SSLContext, timeout: float) -> str:
    """The newest API version both pyVmomi and the server speak (what SmartConnect does, with a timeout)."""
    connection = http.client.HTTPSConnection(fqdn, port, context=context, timeout=timeout)
    try:
        connection.request("GET", "/sdk/vimServiceVersions.xml")
        response = connection.getresponse()
        body = response.read(1 << 20)
    finally:
        connection.close()
    if response.status != 200:
        raise NotAVCenter(
            f"{fqdn}:{port} does not offer the vSphere API (/sdk answered {response.status} "
            f"{response.reason}); check that this is the address of a vCenter Server"
        )
    offered = _api_versions_offered(body)
    for version in GetServiceVersions("vim25"):
        if versionIdMap[version] in offered:
            return version
    raise NotAVCenter(
        f"{fqdn}:{port} offers vSphere API versions {', '.join(sorted(offered)) or 'none'}, "
        "none of which this product speaks"
    )


def _api_versions_offered(body: bytes) -> set[str]:
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return set()
    offered = set()
    for namespace in root.iter("namespace"):
        if namespace.findtext("name") == "urn:vim25":
            offered.add(namespace.findtext("version") or "")
            offered.update(v.text or "" for v in namespace.iterfind("priorVersions/version"))
    return offered - {""}


def _login(service_instance: vim.ServiceInstance, *, fqdn: str, port: int, username: str, password: str) -> None:
    content = service_instance.RetrieveContent()
    about = content.about
    if about.apiType != "VirtualCenter":
        kind = "an ESXi host" if about.apiType == "HostAgent" else f"a {about.apiType} endpoint"
        raise NotAVCenter(
            f"{fqdn}:{port} is {about.fullName}, {kind}, not a vCenter Server; "
            "register the vCenter Server that manages it"
        )
    try:
        content.sessionManager.Login(username, password)
    except vim.fault.InvalidLogin:
        # `from None`: nothing of the refused login request travels with the error.
        raise LoginRefused(f"login refused for {username}: the user name or password is wrong") from None


def _logout(service_instance: vim.ServiceInstance, *, fqdn: str, port: int) -> None:
    try:
        service_instance.RetrieveContent().sessionManager.Logout()
    except Exception as exc:  # the session may be gone already; nothing to clean up then
        logger.debug("logout from %s:%s failed: %s", fqdn, port, exc)
    finally:
        service_instance._stub.DropConnections()


@contextlib.contextmanager
def errors_translated(
    *, fqdn: str, port: int, certificate_pem: str | None = None, product: str = "vCenter Server"
) -> Iterator[None]:
    """Network and TLS failures → our errors, phrased for the person who runs the server (`product`)."""
    where = f"{fqdn}:{port}"
    try:
        yield
    except ssl.SSLCertVerificationError as exc:
        if certificate_pem is None:
            raise CertificateInvalid(f"the certificate of {where} cannot be checked: {exc.verify_message}") from exc
        raise _verification_failure(fqdn=fqdn, port=port, certificate_pem=certificate_pem, error=exc) from exc
    except ssl.SSLError as exc:
        if exc.reason in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE"):  # a plain-HTTP answer
            message = f"{where} does not speak HTTPS; check the address and port of the {product}"
            raise (NotAVCenter if product == "vCenter Server" else WrongServer)(message) from exc
        raise CertificateInvalid(f"the TLS handshake with {where} failed: {exc.reason or exc}") from exc
    except socket.gaierror as exc:
        raise Unreachable(f"cannot connect to {where}: name does not resolve") from exc
    except ConnectionRefusedError as exc:
        raise Unreachable(f"cannot connect to {where}: connection refused") from exc
    except TimeoutError as exc:
        raise Unreachable(f"cannot connect to {where}: timed out") from exc
    except ConnectionResetError as exc:  # includes http.client.RemoteDisconnected
        raise Unreachable(f"cannot connect to {where}: the server closed the connection") from exc
    except OSError as exc:
        raise Unreachable(f"cannot connect to {where}: {exc.strerror or exc}") from exc
    except http.client.HTTPException as exc:  # e.g. "503 Service Unavailable" while the server restarts
        raise VSphereError(f"{where} answered with an error: {exc}") from exc


def _verification_failure(
    *, fqdn: str, port: int, certificate_pem: str, error: ssl.SSLCertVerificationError
) -> VSphereError:
    """Say whether the server now presents another certificate, or the accepted one is unusable."""
    presented = certificate_probe(fqdn=fqdn, port=port)
    accepted = ServerCertificate.from_pem(certificate_pem)
    if presented.thumbprint != accepted.thumbprint:
        return CertificateChanged(
            f"the certificate presented by {fqdn}:{port} has changed: it now presents SHA-256 "
            f"{presented.thumbprint}, not the accepted {accepted.thumbprint}; "
            "accept the new certificate to continue",
            certificate=presented,
            accepted_thumbprint=accepted.thumbprint,
        )
    return CertificateInvalid(
        f"the accepted certificate of {fqdn}:{port} (SHA-256 {accepted.thumbprint}) "
        f"cannot be used: {error.verify_message}"
    )


# ---------------------------------------------------------------------------------------------
# Reading


def about_read(service_instance: vim.ServiceInstance) -> dict[str, str | None]:
    about = service_instance.RetrieveContent().about
    names = ("fullName", "version", "build", "apiVersion", "apiType", "instanceUuid", "productLineId", "vendor")
    return {name: _text(getattr(about, name, None)) for name in names}


@dataclass(frozen=True)
class InventoryItem:
    kind: str  # datacenter, cluster, host, resource_pool, datastore, network, distributed_switch, folder
    moref: str  # e.g. "domain-c7"
    name: str
    parent: str | None  # moref of the nearest enclosing item in the same inventory
    datacenter: str | None  # name of its datacenter; None for datacenters
    path: str  # inventory path, e.g. "/DC0/host/DC0_C0/Resources"
    properties: dict[str, Any] = field(default_factory=dict, hash=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "moref": self.moref,
            "name": self.name,
            "parent": self.parent,
            "datacenter": self.datacenter,
            "path": self.path,
            "properties": dict(self.properties),
        }


# What to read of each type. Subtypes match too (a cluster is a ComputeResource, a port group a
# Network); the collector merges the lists for an object matched twice.
_PROPERTIES: dict[type, list[str]] = {
    vim.Folder: ["name", "parent", "childType"],
    vim.Datacenter: ["name", "parent"],
    vim.ComputeResource: ["name", "parent", "host"],
    vim.ClusterComputeResource: ["summary"],
    vim.HostSystem: ["name", "parent", "runtime.connectionState", "runtime.powerState", "runtime.inMaintenanceMode"],
    vim.ResourcePool: ["name", "parent", "owner"],
    vim.Datastore: ["name", "parent", "summary"],
    vim.Network: ["name", "parent"],
    vim.dvs.DistributedVirtualPortgroup: ["config"],
    vim.OpaqueNetwork: ["summary"],
    vim.DistributedVirtualSwitch: ["name", "parent", "uuid", "summary.productInfo.version", "config.uplinkPortgroup"],
}


def inventory_read(service_instance: vim.ServiceInstance) -> list[InventoryItem]:
    """Datacenters, clusters, hosts, pools, datastores, networks, switches and VM folders, by path.

    One PropertyCollector query from the root folder (plus continuation pages on big inventories).
    """
    content = service_instance.RetrieveContent()
    objects = _objects_retrieve(content=content)
    return _items_build(objects=objects)


def _objects_retrieve(*, content: vim.ServiceInstanceContent) -> dict[str, dict[str, Any]]:
    """{moref: {"_object": managed object, property path: value}} for everything under the root."""
    filter_spec = PropertyCollector.FilterSpec(
        objectSet=[PropertyCollector.ObjectSpec(obj=content.rootFolder, skip=False, selectSet=_traversal())],
        propSet=[PropertyCollector.PropertySpec(type=t, pathSet=paths) for t, paths in _PROPERTIES.items()],
    )
    collector = content.propertyCollector
    result = collector.RetrievePropertiesEx(specSet=[filter_spec], options=PropertyCollector.RetrieveOptions())
    objects: dict[str, dict[str, Any]] = {}
    while result is not None:
        for content_object in result.objects:
            values = {prop.name: prop.val for prop in content_object.propSet}
            objects[content_object.obj._moId] = {"_object": content_object.obj, **values}
        result = collector.ContinueRetrievePropertiesEx(token=result.token) if result.token else None
    return objects


def _traversal() -> list[PropertyCollector.TraversalSpec]:
    """Folders → children; datacenters → their four folders; compute resources → hosts and pools."""
    select = PropertyCollector.SelectionSpec
    folder_children = ["folder_children", "datacenter_hosts", "datacenter_networks", "datacenter_datastores",
                       "datacenter_vms", "compute_hosts", "compute_pools"]

    def spec(name: str, type_: type, path: str, then: list[str]) -> PropertyCollector.TraversalSpec:
        return PropertyCollector.TraversalSpec(
            name=name, type=type_, path=path, skip=False, selectSet=[select(name=n) for n in then]
        )

    return [
        spec("folder_children", vim.Folder, "childEntity", folder_children),
        spec("datacenter_hosts", vim.Datacenter, "hostFolder", ["folder_children"]),
        spec("datacenter_networks", vim.Datacenter, "networkFolder", ["folder_children"]),
        spec("datacenter_datastores", vim.Datacenter, "datastoreFolder", ["folder_children"]),
        spec("datacenter_vms", vim.Datacenter, "vmFolder", ["folder_children"]),
        spec("compute_hosts", vim.ComputeResource, "host", []),
        spec("compute_pools", vim.ComputeResource, "resourcePool", ["pool_children"]),
        spec("pool_children", vim.ResourcePool, "resourcePool", ["pool_children"]),
    ]


def _kind(values: dict[str, Any]) -> str | None:
    """Our word for the object, or None for what we read only to build paths."""
    obj = values["_object"]
    kinds = [
        (vim.Datacenter, "datacenter"),
        (vim.ClusterComputeResource, "cluster"),
        (vim.HostSystem, "host"),
        (vim.VirtualApp, None),  # a vApp is a ResourcePool too, but not a place to deploy into
        (vim.ResourcePool, "resource_pool"),
        (vim.Datastore, "datastore"),
        (vim.Network, "network"),
        (vim.DistributedVirtualSwitch, "distributed_switch"),
    ]
    for type_, kind in kinds:
        if isinstance(obj, type_):
            return kind
    if isinstance(obj, vim.Folder) and "VirtualMachine" in (values.get("childType") or []):
        return "folder"
    return None  # other folders, a standalone host's compute resource, anything unexpected


def _items_build(*, objects: dict[str, dict[str, Any]]) -> list[InventoryItem]:
    kinds = {moref: _kind(values) for moref, values in objects.items()}
    # A standalone host's compute resource is not an item; its resource pool hangs off the host.
    stand_ins = {moref: host for moref in objects if (host := _standalone_host(moref=moref, objects=objects))}
    items = []
    for moref, values in objects.items():
        if kinds[moref] is None:
            continue
        datacenter = _ancestor_datacenter(moref=moref, objects=objects)
        items.append(
            InventoryItem(
                kind=kinds[moref],
                moref=moref,
                name=unquote(values.get("name", "")),
                parent=_parent_item(moref=moref, objects=objects, kinds=kinds, stand_ins=stand_ins),
                datacenter=None if kinds[moref] == "datacenter" else datacenter,
                path=_path(moref=moref, objects=objects),
                properties=_properties(kind=kinds[moref], values=values, objects=objects),
            )
        )
    return sorted(items, key=lambda item: (item.path, item.moref))


def _standalone_host(*, moref: str, objects: dict[str, dict[str, Any]]) -> str | None:
    """The host of a standalone host's compute resource; None for anything else."""
    values = objects[moref]
    if type(values["_object"]) is not vim.ComputeResource or not values.get("host"):
        return None
    return values["host"][0]._moId


def _parent_moref(values: dict[str, Any]) -> str | None:
    parent = values.get("parent")
    return parent._moId if parent is not None else None


def _ancestors(*, moref: str, objects: dict[str, dict[str, Any]]) -> Iterator[str]:
    seen = {moref}
    parent = _parent_moref(objects[moref])
    while parent in objects and parent not in seen:
        yield parent
        seen.add(parent)
        parent = _parent_moref(objects[parent])


def _parent_item(
    *, moref: str, objects: dict[str, dict[str, Any]], kinds: dict[str, str | None], stand_ins: dict[str, str]
) -> str | None:
    for ancestor in _ancestors(moref=moref, objects=objects):
        if stand_ins.get(ancestor, moref) != moref:
            return stand_ins[ancestor]
        if kinds.get(ancestor) is not None:
            return ancestor
    return None


def _ancestor_datacenter(*, moref: str, objects: dict[str, dict[str, Any]]) -> str | None:
    for ancestor in [moref, *_ancestors(moref=moref, objects=objects)]:
        if isinstance(objects[ancestor]["_object"], vim.Datacenter):
            return unquote(objects[ancestor].get("name", ""))
    return None


def _path(*, moref: str, objects: dict[str, dict[str, Any]]) -> str:
    """Names from below the root folder down; names stay escaped ("%2f") as inventory paths want."""
    chain = [moref, *_ancestors(moref=moref, objects=objects)]
    names = [objects[m].get("name", "") for m in reversed(chain) if _parent_moref(objects[m]) is not None]
    return "/" + "/".join(names)


def _properties(*, kind: str, values: dict[str, Any], objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    readers = {
        "cluster": _cluster_properties,
        "host": _host_properties,
        "resource_pool": _pool_properties,
        "datastore": _datastore_properties,
        "network": _network_properties,
        "distributed_switch": _switch_properties,
    }
    reader = readers.get(kind)
    return reader(values=values, objects=objects) if reader else {}


def _cluster_properties(*, values: dict[str, Any], objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    summary = values.get("summary")
    return {
        "numHosts": _int(getattr(summary, "numHosts", None)),
        "numEffectiveHosts": _int(getattr(summary, "numEffectiveHosts", None)),
        "totalCpu": _int(getattr(summary, "totalCpu", None)),  # MHz
        "totalMemory": _int(getattr(summary, "totalMemory", None)),  # bytes
    }


def _host_properties(*, values: dict[str, Any], objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    parent = objects.get(_parent_moref(values) or "", {})
    in_cluster = isinstance(parent.get("_object"), vim.ClusterComputeResource)
    return {
        "connectionState": _text(values.get("runtime.connectionState")),
        "powerState": _text(values.get("runtime.powerState")),
        "inMaintenanceMode": _bool(values.get("runtime.inMaintenanceMode")),
        "cluster": unquote(parent.get("name", "")) if in_cluster else None,
    }


def _pool_properties(*, values: dict[str, Any], objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    owner = values.get("owner")
    if owner is None or owner._moId not in objects:
        return {"ownerKind": None, "owner": None, "ownerMoref": None}
    if isinstance(owner, vim.ClusterComputeResource):
        kind, moref = "cluster", owner._moId
    else:
        kind, moref = "host", _standalone_host(moref=owner._moId, objects=objects) or owner._moId
    return {"ownerKind": kind, "owner": unquote(objects.get(moref, {}).get("name", "")), "ownerMoref": moref}


def _datastore_properties(*, values: dict[str, Any], objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    summary = values.get("summary")
    return {
        "capacity": _int(getattr(summary, "capacity", None)),  # bytes
        "freeSpace": _int(getattr(summary, "freeSpace", None)),
        "type": _text(getattr(summary, "type", None)),
        "accessible": _bool(getattr(summary, "accessible", None)),
        "url": _text(getattr(summary, "url", None)),
        "maintenanceMode": _text(getattr(summary, "maintenanceMode", None)),
    }


def _network_properties(*, values: dict[str, Any], objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    obj = values["_object"]
    if isinstance(obj, vim.dvs.DistributedVirtualPortgroup):
        return _portgroup_properties(values=values, objects=objects)
    if isinstance(obj, vim.OpaqueNetwork):
        summary = values.get("summary")
        return {
            "type": "OpaqueNetwork",
            "vlan": None,
            "opaqueNetworkType": _text(getattr(summary, "opaqueNetworkType", None)),
            "opaqueNetworkId": _text(getattr(summary, "opaqueNetworkId", None)),
        }
    # A standard port group's VLAN lives in each host's network configuration, not here.
    return {"type": "Network", "vlan": None}


def _portgroup_properties(*, values: dict[str, Any], objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    config = values.get("config")
    switch_ref = getattr(config, "distributedVirtualSwitch", None)
    switch = objects.get(switch_ref._moId, {}) if switch_ref is not None else {}
    uplinks = {ref._moId for ref in switch.get("config.uplinkPortgroup") or []}
    vlan = getattr(getattr(config, "defaultPortConfig", None), "vlan", None)
    properties = {
        "type": "DistributedVirtualPortgroup",
        "switch": unquote(switch.get("name", "")) or None,
        "uplink": bool(getattr(config, "uplink", None)) or values["_object"]._moId in uplinks,
        "vlan": None,
    }
    if isinstance(vlan, vim.dvs.VmwareDistributedVirtualSwitch.VlanIdSpec):
        properties["vlan"] = _int(vlan.vlanId)
    elif isinstance(vlan, vim.dvs.VmwareDistributedVirtualSwitch.TrunkVlanSpec):
        properties["vlanTrunk"] = [f"{r.start}-{r.end}" for r in vlan.vlanId]
    elif isinstance(vlan, vim.dvs.VmwareDistributedVirtualSwitch.PvlanSpec):
        properties["pvlanId"] = _int(vlan.pvlanId)
    return properties


def _switch_properties(*, values: dict[str, Any], objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"uuid": _text(values.get("uuid")), "version": _text(values.get("summary.productInfo.version"))}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)
