"""What a deployment sends for a node of a definition: its package, OVF values, network mapping,
deployment option, disk provisioning and placement, and the vCenter it goes to. Used by the pre-checks
and by the deployment actions alike.

The definition here is the stored one (secrets as stored-secret references); values are resolved only
where they are sent (``secret`` is the caller's resolver, so an action can blank them in its log).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from datacenters.models import ComponentType, DatacenterComponent
from datacenters.selectors import port_group_settings
from datacenters.vsphere.connection import connect
from datacenters.vsphere.placement import Placement, placement_resolve
from environments.deploy.plan import NodeRef
from lifecycle.secrets import path_join, secret_is_ref
from products.models import RepositoryFile
from products.selectors import repository_file_for
from products.types import product_secrets


def package_for(ref: NodeRef) -> RepositoryFile | None:
    return repository_file_for(product_type=ref.product_type.code, version=ref.product["version"])


# --- vCenter ---------------------------------------------------------------------------------------


def vcenter_component(name: str) -> DatacenterComponent | None:
    return DatacenterComponent.objects.filter(component_name=name, component_type=ComponentType.VCENTER).first()


@contextlib.contextmanager
def vcenter_connect(component: DatacenterComponent) -> Iterator[Any]:
    """A session with the registered vCenter, trusting only its accepted certificate."""
    with connect(
        fqdn=component.fqdn,
        port=component.port,
        username=component.username,
        password=component.password,
        certificate_pem=component.certificate_pem,
        timeout=settings.LCM_VCENTER_TIMEOUT,
    ) as si:
        yield si


# --- the import spec's inputs ----------------------------------------------------------------------


def placement_of(si, ref: NodeRef) -> Placement:
    """The node's placement (datacenter … datastore, port groups), read live; PlacementMissing names what is not there."""
    deployment = ref.deployment
    return placement_resolve(
        si,
        datacenter=deployment["datacenterName"],
        cluster=deployment.get("clusterName"),
        resource_pool=deployment.get("resourcePool"),
        folder=deployment.get("vmFolder"),
        datastore=deployment["datastoreNames"][0],
        host=deployment.get("esxiHost"),
        networks=[nic["networkName"] for nic in ref.node.get("nics") or []],
    )


def network_settings(ref: NodeRef, nic_index: int = 0) -> dict:
    """The port group's IPv4 settings of a nic ({} when none are stored)."""
    nics = ref.node.get("nics") or []
    if nic_index >= len(nics):
        return {}
    return (
        port_group_settings(
            component_name=ref.deployment["vcenterName"], port_group_name=nics[nic_index]["networkName"]
        )
        or {}
    )


def network_mapping(ref: NodeRef, package: RepositoryFile) -> dict[str, str]:
    """OVF network → port group. OVA_APPLIANCE may map by name; otherwise the OVF's networks take the
    node's nics in order, and OVF networks beyond the nics share the first nic's port group."""
    nics = [nic["networkName"] for nic in ref.node.get("nics") or []]
    ovf_networks = [n["name"] for n in package.networks]
    given = (ref.product.get("properties") or {}).get("networkMapping") or {}
    mapping = {}
    for i, name in enumerate(ovf_networks):
        if name in given:
            mapping[name] = given[name]
        elif nics:
            mapping[name] = nics[i] if i < len(nics) else nics[0]
    return mapping


def deployment_option(ref: NodeRef) -> str:
    return ref.node.get("deploymentOption") or (ref.product.get("properties") or {}).get("deploymentOption") or ""


def disk_provisioning(ref: NodeRef) -> str:
    return (ref.product.get("properties") or {}).get("diskMode") or "thin"


def _ovf_text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


@dataclass(frozen=True)
class OvfValue:
    key: str
    value: str
    source: str  # the definition's JSON path it came from (what the log shows instead of a secret)
    secret: bool


def ovf_values(ref: NodeRef, *, secret: Callable[[str], str]) -> list[OvfValue]:
    """Every OVF property this node's definition sets, before matching them against the OVA."""
    product_type, node = ref.product_type, ref.node
    properties = ref.product.get("properties") or {}
    values: list[OvfValue] = []
    keys = product_type.ovf_node_keys
    net = network_settings(ref)
    node_values = {
        "hostName": (node.get("hostName"), f"{ref.path}.hostName"),
        "gateway": (net.get("gateway"), "port group gateway"),
        "dns": (net.get("dns"), "port group dns"),
        "domainName": (net.get("domainName"), "port group domainName"),
        "searchPath": (net.get("searchPath"), "port group searchPath"),
        "ntp": (net.get("ntp"), "port group ntp"),
    }
    for name, (value, source) in node_values.items():
        if name in keys and value not in (None, "", []):
            values.append(OvfValue(keys[name], _ovf_text(value), source, False))
    for n, nic in enumerate(node.get("nics") or []):
        settings_n = network_settings(ref, n)
        for name, value in (("ipAddress", nic.get("ipAddress")), ("netmask", settings_n.get("subnetMask"))):
            if name in keys and value:
                values.append(
                    OvfValue(keys[name].replace("{n}", str(n)), str(value), f"{ref.path}.nics[{n}].{name}", False)
                )
    if "rootPassword" in keys and node.get("rootPassword"):
        values.append(OvfValue(keys["rootPassword"], secret(node["rootPassword"]), f"{ref.path}.rootPassword", True))
    for prop in product_type.properties:
        if not prop.ovf_key:
            continue
        value = properties.get(prop.name, prop.default)
        if value is None:
            continue
        if prop.secret:
            value = secret(value)
        values.append(
            OvfValue(
                prop.ovf_key, _ovf_text(value), f"products[{ref.product_index}].properties.{prop.name}", prop.secret
            )
        )
    if product_type.member_ovf and not ref.is_primary:
        primary = next(
            (
                n
                for n in ref.product["nodes"]
                if product_type.role_of(n) in {r.name for r in product_type.node_roles if r.primary}
            ),
            None,
        )
        if primary is not None:
            for key, value in product_type.member_ovf(primary).items():
                values.append(OvfValue(key, value, f"the primary node {primary['hostName']}", False))
    if product_type.ovf_properties_from:
        # Secret: what the type declares so (the OVF properties the package marks as passwords), and any
        # stored-secret reference (kept so when the package was not known yet).
        base = f"properties.{product_type.ovf_properties_from}"
        secrets = {path for path, _ in product_secrets(ref.product)}
        for key, value in (properties.get(product_type.ovf_properties_from) or {}).items():
            path = path_join(base, key)
            is_secret = path in secrets or secret_is_ref(value)
            values.append(
                OvfValue(
                    key,
                    secret(value) if is_secret else _ovf_text(value),
                    f"products[{ref.product_index}].{path}",
                    is_secret,
                )
            )
    return values


def ovf_properties(
    ref: NodeRef, package: RepositoryFile, *, secret: Callable[[str], str]
) -> tuple[dict[str, str], list[str]]:
    """(key → value for the import spec, notes for the log). Only properties the OVA declares as
    userConfigurable are set; the notes say which were left out and why (never a secret's value)."""
    declared = {p["key"]: p for p in package.properties}
    chosen: dict[str, str] = {}
    notes: list[str] = []
    for item in ovf_values(ref, secret=secret):
        prop = declared.get(item.key)
        if prop is None:
            notes.append(f"the OVA declares no property {item.key} (from {item.source}); not set")
        elif not prop.get("userConfigurable"):
            notes.append(f"{item.key} is not user-configurable in this OVA; left at its default")
        else:
            chosen[item.key] = item.value
            shown = "(secret)" if item.secret or prop.get("password") else repr(item.value)
            notes.append(f"{item.key} = {shown} (from {item.source})")
    return chosen, notes


def disk_bytes_needed(package: RepositoryFile, provisioning: str) -> int:
    """Datastore space one VM of this package takes: the disks' capacity when thick, what is populated
    (or the size of the disk files, when the descriptor does not say) when thin."""
    sizes = {r["id"]: r.get("size") or 0 for r in package.references}
    total = 0
    for disk in package.disks:
        if provisioning != "thin":
            total += disk.get("capacityBytes") or 0
        else:
            total += disk.get("populatedSize") or sizes.get(disk.get("fileRef"), 0) or 0
    return total
