"""The IPv4 settings of a vCenter's port groups: checked as the API shapes them, stored with a component
(its spec's `content.networks`) or set and removed one port group at a time, with no task."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from datacenters.models import ComponentType, DatacenterComponent, InventoryKind, InventoryObject, PortGroupSettings
from datacenters.selectors import datacenter_get, port_group_settings_dict
from lifecycle.errors import NotFound, ValidationFailed

NETWORK_FIELDS = (
    "portGroupName",
    "gateway",
    "subnetMask",
    "prefixLength",
    "domainName",
    "searchPath",
    "useDhcp",
    "dns",
    "ntp",
)
# What an entry of `content.networks` shows beside the settings: an entry read from the API, edited and
# sent back, is accepted (these are ignored).
NETWORK_READ_ONLY = frozenset(
    {
        "name",
        "moref",
        "path",
        "datacenter",
        "parent",
        "type",
        "vlan",
        "vlanTrunk",
        "pvlanId",
        "switch",
        "uplink",
        "opaqueNetworkType",
        "opaqueNetworkId",
        "configured",
        "foundInLastDiscovery",
        "updatedAt",
    }
)
_MODEL_TO_API = {
    "port_group_name": "portGroupName",
    "use_dhcp": "useDhcp",
    "gateway": "gateway",
    "prefix_length": "prefixLength",
    "domain_name": "domainName",
    "search_path": "searchPath",
    "dns": "dns",
    "ntp": "ntp",
}


def port_group_settings_check(
    entry, *, path: str = "", port_group_name: str | None = None
) -> tuple[dict, dict[str, list[str]]]:
    """Check one port group's settings as the API shapes them; return (canonical entry, errors).

    Errors are keyed by JSON path below `path` (``content.networks[1].gateway``, ``dns[0]``). The
    canonical entry has both `subnetMask` and `prefixLength` (either may be given; they must agree).
    """

    def at(key: str) -> str:
        return f"{path}.{key}" if path else key

    errors: dict[str, list[str]] = {}

    def fail(key: str, problem: str) -> None:
        errors.setdefault(at(key), []).append(problem)

    if not isinstance(entry, dict):
        errors[path or "settings"] = ['must be an object like {"portGroupName": …, "gateway": …, "subnetMask": …}']
        return {}, errors
    for key in sorted(set(entry) - set(NETWORK_FIELDS) - NETWORK_READ_ONLY):
        fail(key, "unknown field")

    name: Any = entry.get("portGroupName", port_group_name)  # JSON as sent, checked here
    if port_group_name is not None and name != port_group_name:
        fail("portGroupName", f"must be the port group of the URL ('{port_group_name}') or left out")
    elif not isinstance(name, str) or not name.strip():
        fail("portGroupName", "this field is required")
    elif len(name) > 255:
        fail("portGroupName", "at most 255 characters")

    use_dhcp = entry.get("useDhcp", False)
    if use_dhcp is None:
        use_dhcp = False
    if not isinstance(use_dhcp, bool):
        fail("useDhcp", "must be true or false")

    def text(key: str) -> str:
        value = entry.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            fail(key, "must be a string")
            return ""
        return value.strip()

    def strings(key: str) -> list[str]:
        value = entry.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            fail(key, "must be a list of strings")
            return []
        return [item.strip() for item in value]

    gateway, domain_name = text("gateway"), text("domainName")
    search_path, dns, ntp = strings("searchPath"), strings("dns"), strings("ntp")
    mask_prefix = None
    mask = text("subnetMask")
    if mask:
        try:
            ipaddress.IPv4Address(mask)
            mask_prefix = ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen
        except ValueError:
            fail("subnetMask", f"'{mask}' is not a subnet mask (like 255.255.255.0)")
        else:
            if mask_prefix == 0:
                fail("subnetMask", "0.0.0.0 is not a usable subnet mask")
                mask_prefix = None
    prefix = entry.get("prefixLength")
    if prefix is not None and (not isinstance(prefix, int) or isinstance(prefix, bool) or not 1 <= prefix <= 32):
        fail("prefixLength", "must be a whole number from 1 to 32")
        prefix = None
    if mask_prefix is not None and prefix is not None and mask_prefix != prefix:
        fail("subnetMask", f"{mask} is a /{mask_prefix} subnet, but prefixLength says /{prefix}; give one of them")
    if errors:
        return {}, errors

    settings = PortGroupSettings(
        port_group_name=name,
        use_dhcp=use_dhcp,
        gateway=gateway,
        prefix_length=prefix or mask_prefix,
        domain_name=domain_name,
        search_path=search_path,
        dns=dns,
        ntp=ntp,
    )
    try:
        settings.full_clean(exclude=["component"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, problems in exc.error_dict.items():
            key = _MODEL_TO_API.get(field, field)
            for problem in problems:
                params = problem.params or {}
                message = problem.message % params if params else problem.message
                index = params.get("index")
                fail(f"{key}[{index}]" if index is not None else key, message[0].lower() + message[1:])
        return {}, errors
    return port_group_settings_dict(settings), {}


def networks_normalize(networks, spec: dict, errors: dict[str, list[str]]) -> list[dict]:
    """`content.networks` of a component spec, checked entry by entry (paths ``content.networks[i]…``)."""
    if spec.get("datacenterComponentType") != ComponentType.VCENTER:
        errors.setdefault("content.networks", []).append(
            f"only a VCENTER component has port groups, not a {spec.get('datacenterComponentType')}"
        )
        return []
    if not isinstance(networks, list):
        errors.setdefault("content.networks", []).append("must be a list of port group settings")
        return []
    normalized: list[dict] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(networks):
        path = f"content.networks[{index}]"
        canonical, problems = port_group_settings_check(entry, path=path)
        for key, messages in problems.items():
            errors.setdefault(key, []).extend(messages)
        if not canonical:
            continue
        name = canonical["portGroupName"]
        if name in seen:
            errors.setdefault(f"{path}.portGroupName", []).append(
                f"'{name}' is also set at content.networks[{seen[name]}]"
            )
            continue
        seen[name] = index
        normalized.append(canonical)
    return normalized


def port_group_settings_save(component: DatacenterComponent, entry: dict) -> PortGroupSettings:
    settings, _ = PortGroupSettings.objects.update_or_create(
        component=component,
        port_group_name=entry["portGroupName"],
        defaults={
            "use_dhcp": entry["useDhcp"],
            "gateway": entry["gateway"] or "",
            "prefix_length": entry["prefixLength"],
            "domain_name": entry["domainName"] or "",
            "search_path": entry["searchPath"],
            "dns": entry["dns"],
            "ntp": entry["ntp"],
        },
    )
    return settings


def _port_group_component(component_name: str, port_group_name: str) -> DatacenterComponent:
    """The vCenter component that knows this port group (discovered, or with settings from before)."""
    component = datacenter_get(component_name=component_name)
    if component.component_type != ComponentType.VCENTER:
        raise NotFound(
            f"{component_name} is a {component.get_component_type_display()}; only vCenter Servers have port groups"
        )
    known = InventoryObject.objects.filter(
        component=component, kind=InventoryKind.NETWORK, name=port_group_name
    ).exists()
    if (
        not known
        and not PortGroupSettings.objects.filter(component=component, port_group_name=port_group_name).exists()
    ):
        raise NotFound(
            f"no port group '{port_group_name}' in the inventory of {component_name}; "
            "if it is new, discover the component again first"
        )
    return component


def port_group_settings_update(*, component_name: str, port_group_name: str, settings: dict) -> PortGroupSettings:
    """Set (replace) the IPv4 settings of one discovered port group. No task: nothing on vCenter changes."""
    component = _port_group_component(component_name, port_group_name)
    canonical, errors = port_group_settings_check(settings, port_group_name=port_group_name)
    if errors:
        path, problems = next(iter(errors.items()))
        raise ValidationFailed(f"{path}: {problems[0]}", errors=errors)
    with transaction.atomic():
        return port_group_settings_save(component, canonical)


def port_group_settings_remove(*, component_name: str, port_group_name: str) -> None:
    """Forget the settings of a port group (typically one that disappeared from the inventory)."""
    component = _port_group_component(component_name, port_group_name)
    deleted, _ = PortGroupSettings.objects.filter(component=component, port_group_name=port_group_name).delete()
    if not deleted:
        raise NotFound(f"port group '{port_group_name}' of {component_name} has no IPv4 settings")
