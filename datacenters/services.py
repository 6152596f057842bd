"""Changes to datacenter components: register, validate, update, discover, delete (each one a task),
and the IPv4 settings of a vCenter's port groups (set at once, no task: nothing on a server changes).

The request-time checks here are the cheap ones that need no login (fields, duplicates, the accepted
certificate, port group settings, products that use a component); everything that talks to the
server with credentials runs in the task's actions.
"""
from __future__ import annotations

import ipaddress
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.contrib.auth.models import AnonymousUser, User

from datacenters.vsphere import connection
from datacenters.vsphere.errors import VSphereError
from datacenters.models import ComponentType, DatacenterComponent, InventoryKind, InventoryObject, PortGroupSettings
from lifecycle.secrets import PLACEHOLDER, secret_is_ref, secret_resolve
from lifecycle.errors import Conflict, NotFound, ValidationFailed
from lifecycle.engine.models import Status, Task
from lifecycle.engine.services import task_create

# API name → model field, so that model validation errors name the field the user sent.
SPEC_FIELDS = {
    "componentName": "component_name",
    "datacenterComponentType": "component_type",
    "fqdn": "fqdn",
    "port": "port",
    "username": "username",
    "password": "password",
    "purpose": "purpose",
    "tags": "tags",
}
REQUIRED = ("componentName", "fqdn", "username", "password")
PROBE_TIMEOUT = 10

# Operations by component type: "<prefix>.register", ".validate", ".update", ".discover". vCenter keeps
# the "datacenter." names it always had; every type shares "datacenter.delete" (no server is asked).
OPERATION_PREFIX = {ComponentType.VCENTER: "datacenter", ComponentType.NSXT: "nsxt", ComponentType.VROPS: "vrops"}
REGISTER_OPERATIONS = tuple(f"{prefix}.register" for prefix in OPERATION_PREFIX.values())


def operation_for(component_type: str, verb: str) -> str:
    return f"{OPERATION_PREFIX[ComponentType(component_type)]}.{verb}"


def target_key(component_name: str) -> str:
    return f"datacenter:{component_name}"


def certificate_probe(*, fqdn: str, port: int = 443) -> connection.ServerCertificate:
    """The certificate a server presents, for the user to accept (trust on first use)."""
    errors = _address_errors(fqdn, port)
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    try:
        return connection.certificate_probe(fqdn=fqdn, port=port, timeout=PROBE_TIMEOUT)
    except VSphereError as exc:
        raise ValidationFailed.field("fqdn", exc.message) from None


def certificate_check(*, component_name: str) -> tuple[connection.ServerCertificate, bool]:
    """The certificate a registered component presents now, and whether it differs from the accepted one."""
    component = _component(component_name)
    presented = certificate_probe(fqdn=component.fqdn, port=component.port)
    return presented, not thumbprints_equal(presented.thumbprint, component.certificate_thumbprint)


def thumbprints_equal(a: str, b: str) -> bool:
    """SHA-256 thumbprints compare equal whatever their case and separators."""
    return _thumbprint_normal(a) == _thumbprint_normal(b)


def _address_errors(fqdn, port) -> dict[str, list[str]]:
    errors = {}
    probe = DatacenterComponent(fqdn=fqdn if isinstance(fqdn, str) else "", port=port)
    if not isinstance(fqdn, str) or not fqdn:
        errors["fqdn"] = ["this field is required"]
    if not isinstance(port, int) or isinstance(port, bool):
        errors["port"] = ["must be a whole number from 1 to 65535"]
    try:
        probe.clean_fields(exclude=[f.name for f in DatacenterComponent._meta.fields if f.name not in ("fqdn", "port")])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    return errors


def spec_normalize(spec: dict, *, existing: DatacenterComponent | None = None) -> dict:
    """Check a component spec's fields and return it complete (defaults filled in).

    On update, fields left out keep their stored values and a password sent as the placeholder
    keeps the stored password.
    """
    if not isinstance(spec, dict):
        raise ValidationFailed("the request body must be a JSON object describing the component")
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(spec) - set(SPEC_FIELDS) - {"content", "version", "properties", "id", "url"})
    for key in unknown:
        errors[key] = ["unknown field"]
    merged = dict(spec_from_component(existing)) if existing else {}
    merged.update({k: v for k, v in spec.items() if k in SPEC_FIELDS or k == "content"})
    if existing and isinstance(spec.get("content"), dict):
        # Content left out keeps its stored value: an update may carry only port group settings.
        merged["content"] = {**spec_from_component(existing)["content"], **spec["content"]}
    merged.setdefault("datacenterComponentType", ComponentType.VCENTER)
    merged.setdefault("port", 443)
    merged.setdefault("purpose", "")
    merged.setdefault("tags", [])
    if existing and merged.get("password") in (None, PLACEHOLDER):
        merged["password"] = existing.password
    if existing and merged.get("componentName") != existing.component_name:
        errors["componentName"] = [f"cannot be changed (it is '{existing.component_name}')"]
    for key in REQUIRED:
        if merged.get(key) in (None, "", PLACEHOLDER):
            errors.setdefault(key, []).append("this field is required")
    for key in ("componentName", "fqdn", "username", "password", "purpose", "datacenterComponentType"):
        if merged.get(key) is not None and not isinstance(merged[key], str):
            errors.setdefault(key, []).append("must be a string")
    if not isinstance(merged["port"], int) or isinstance(merged["port"], bool):
        errors.setdefault("port", []).append("must be a whole number from 1 to 65535")
    if not isinstance(merged["tags"], list) or not all(isinstance(t, str) for t in merged["tags"]):
        errors.setdefault("tags", []).append("must be a list of strings")
    if existing and merged.get("datacenterComponentType") != existing.component_type:
        errors.setdefault("datacenterComponentType", []).append(
            f"cannot be changed (it is {existing.component_type}); delete the component and register it again"
        )
    if secret_is_ref(merged.get("password")):
        try:
            merged["password"] = secret_resolve(merged["password"])
        except ValidationFailed as exc:
            for path, problems in (exc.errors or {"password": [exc.message]}).items():
                errors.setdefault(path, []).extend(problems)
    content = merged.get("content", {})
    if not isinstance(content, dict) or not isinstance(content.get("certificate", {}), dict):
        errors.setdefault("content", []).append("must be an object like {\"certificate\": {\"thumbprint\": \"…\"}}")
    elif "networks" in content:
        merged["content"] = {**content, "networks": _networks_normalize(content["networks"], merged, errors)}
    if not errors:
        _model_errors(merged, errors, existing)
    if errors:
        path, problems = next(iter(errors.items()))
        raise ValidationFailed(f"{path}: {problems[0]}", errors=errors)
    return merged


def _model_errors(merged: dict, errors: dict, existing: DatacenterComponent | None) -> None:
    candidate = DatacenterComponent(
        pk=existing.pk if existing else None,
        **{SPEC_FIELDS[k]: merged[k] for k in SPEC_FIELDS},
        certificate_pem="-", certificate_thumbprint="-",
    )
    candidate._state.adding = existing is None  # an update must not collide with itself
    try:
        candidate.full_clean(exclude=["certificate_pem", "certificate_thumbprint"])
    except ValidationError as exc:
        model_to_api = {v: k for k, v in SPEC_FIELDS.items()}
        for field, messages in exc.message_dict.items():
            key = model_to_api.get(field, field)
            if field == "component_name" and any("already exists" in m for m in messages):
                messages = [f"a datacenter component named '{merged['componentName']}' already exists"]
            errors.setdefault(key, []).extend(m[0].lower() + m[1:] if m else m for m in messages)


def spec_from_component(component: DatacenterComponent) -> dict:
    """A component as the spec that would register it again (password masked)."""
    return {
        "componentName": component.component_name,
        "datacenterComponentType": component.component_type,
        "fqdn": component.fqdn,
        "port": component.port,
        "username": component.username,
        "password": PLACEHOLDER,
        "purpose": component.purpose,
        "tags": list(component.tags),
        "content": {"certificate": {"thumbprint": component.certificate_thumbprint}},
    }


def _thumbprint_check(spec: dict) -> None:
    """The request must carry the thumbprint of the certificate the server presents (trust on first use)."""
    accepted = ((spec.get("content") or {}).get("certificate") or {}).get("thumbprint")
    path = "content.certificate.thumbprint"
    try:
        presented = connection.certificate_probe(fqdn=spec["fqdn"], port=spec["port"], timeout=PROBE_TIMEOUT)
    except VSphereError as exc:
        if not accepted:
            raise ValidationFailed.field(
                path, f"required: accept the server's certificate first (it could not be fetched: {exc.message})"
            ) from None
        return  # unreachable now: the task's first action reports it, and a restart can retry
    if not accepted:
        raise ValidationFailed.field(
            path,
            f"required: the server presents a certificate with SHA-256 thumbprint {presented.thumbprint} "
            f"(subject {presented.subject}, valid until {presented.valid_to:%Y-%m-%d}); check it and send it here to accept it",
        )
    if not thumbprints_equal(accepted, presented.thumbprint):
        raise ValidationFailed.field(
            path,
            f"does not match: the server presents a certificate with SHA-256 thumbprint {presented.thumbprint}, "
            f"not {accepted}",
        )


def _thumbprint_normal(value: str) -> str:
    return value.replace(":", "").replace(" ", "").upper()


def _name_free(name: str) -> None:
    """No component of this name, and no registration of it still pending."""
    pending = Task.objects.filter(
        target_key=target_key(name), operation__in=REGISTER_OPERATIONS, status__in=Status.unfinished()
    ).first()
    if pending:
        raise ValidationFailed.field(
            "componentName", f"a datacenter component named '{name}' is being registered already (task {pending.pk})"
        )


def datacenter_register(*, spec: dict, user: User | AnonymousUser | None = None, validate_only: bool = False) -> Task:
    """Register a component (or, with validate_only, run the same checks and store nothing)."""
    spec = spec_normalize(spec)
    if not validate_only:
        _name_free(spec["componentName"])
    _thumbprint_check(spec)
    return task_create(
        operation=operation_for(spec["datacenterComponentType"], "validate" if validate_only else "register"),
        target_type="datacenter",
        target_name=spec["componentName"],
        target_key=target_key(spec["componentName"]),
        request=spec,
        user=user,
    )


def datacenter_update(*, component_name: str, spec: dict, user: User | AnonymousUser | None = None) -> Task:
    """Change a component's address, credentials, accepted certificate or port group settings.

    The task checks the certificate and logs in with the new settings before it stores anything.
    """
    existing = _component(component_name)
    spec = spec_normalize(spec, existing=existing)
    _thumbprint_check(spec)
    return task_create(
        operation=operation_for(existing.component_type, "update"),
        target_type="datacenter",
        target_name=component_name,
        target_key=target_key(component_name),
        request=spec,
        user=user,
    )


def datacenter_discover(*, component_name: str, user: User | AnonymousUser | None = None) -> Task:
    """Read a vCenter's inventory again, or an NSX-T Manager's or vROps' version and identity."""
    component = _component(component_name)
    return task_create(
        operation=operation_for(component.component_type, "discover"),
        target_type="datacenter",
        target_name=component_name,
        target_key=target_key(component_name),
        request={"componentName": component_name},
        user=user,
    )


def datacenter_delete(*, component_name: str, user: User | AnonymousUser | None = None) -> Task:
    """Remove a component no product uses (checked now, and again by the task before it deletes)."""
    _component(component_name)
    _unused_check(component_name)
    return task_create(
        operation="datacenter.delete",
        target_type="datacenter",
        target_name=component_name,
        target_key=target_key(component_name),
        request={"componentName": component_name},
        user=user,
    )


def _component(component_name: str) -> DatacenterComponent:
    component = DatacenterComponent.objects.filter(component_name=component_name).first()
    if component is None:
        raise NotFound(f"no datacenter component named '{component_name}'")
    return component


@transaction.atomic
def component_store(*, spec: dict, certificate: dict, about: dict, inventory: list[dict] | None, create: bool) -> DatacenterComponent:
    """Write a component, (when given) replace its inventory, and store the port group settings its
    spec carries (`content.networks`), in one transaction. Settings of other port groups stay.

    Called by the last action of register/update/discover, never by a face directly.
    """
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    name = spec["componentName"]
    component = DatacenterComponent.objects.select_for_update().filter(component_name=name).first()
    if create and component is not None:
        raise Conflict(f"a datacenter component named '{name}' was registered meanwhile; nothing was changed")
    if not create and component is None:
        raise Conflict(f"the datacenter component '{name}' was deleted meanwhile; nothing was stored")
    component = component or DatacenterComponent()
    for key, field in SPEC_FIELDS.items():
        setattr(component, field, spec[key])
    component.certificate_pem = certificate["pem"]
    component.certificate_thumbprint = certificate["thumbprint"]
    component.certificate_subject = certificate["subject"]
    component.certificate_issuer = certificate["issuer"]
    component.certificate_valid_from = parse_datetime(certificate["validFrom"])
    component.certificate_valid_to = parse_datetime(certificate["validTo"])
    component.version = about.get("version") or ""
    component.build = about.get("build") or ""
    component.properties = {"about": about}
    component.discovered_at = timezone.now()  # every store follows a fresh read of the server
    component.save()
    for entry in (spec.get("content") or {}).get("networks") or []:
        _port_group_settings_save(component, entry)
    if inventory is not None:
        component.inventory.all().delete()
        InventoryObject.objects.bulk_create(
            InventoryObject(
                component=component,
                kind=item["kind"],
                moref=item["moref"],
                name=item["name"],
                parent_moref=item.get("parent") or "",
                datacenter=item.get("datacenter") or "",
                path=item["path"],
                properties=item.get("properties") or {},
            )
            for item in inventory
        )
    return component


def _unused_check(component_name: str) -> None:
    from environments.selectors import products_using_component

    products = products_using_component(component_name=component_name)
    if products:
        raise Conflict(
            f"{component_name} cannot be deleted: it is used by the product{'s' if len(products) > 1 else ''} "
            f"{', '.join(products)}; remove {'them' if len(products) > 1 else 'it'} (or change what "
            f"{'they refer' if len(products) > 1 else 'it refers'} to) first",
            extra={"products": products},
        )


@transaction.atomic
def component_remove(*, component_name: str) -> None:
    """Delete a component, its inventory and port group settings, unless a product uses it by now."""
    component = DatacenterComponent.objects.select_for_update().filter(component_name=component_name).first()
    if component is None:
        raise Conflict(f"the datacenter component '{component_name}' no longer exists")
    _unused_check(component_name)
    component.delete()


# --- IPv4 settings of port groups -----------------------------------------------------------------

NETWORK_FIELDS = ("portGroupName", "gateway", "subnetMask", "prefixLength", "domainName", "searchPath", "useDhcp",
                  "dns", "ntp")
# What an entry of `content.networks` shows beside the settings: an entry read from the API, edited and
# sent back, is accepted (these are ignored).
NETWORK_READ_ONLY = frozenset({"name", "moref", "path", "datacenter", "parent", "type", "vlan", "vlanTrunk", "pvlanId",
                               "switch", "uplink", "opaqueNetworkType", "opaqueNetworkId", "configured",
                               "foundInLastDiscovery", "updatedAt"})
_MODEL_TO_API = {"port_group_name": "portGroupName", "use_dhcp": "useDhcp", "gateway": "gateway",
                 "prefix_length": "prefixLength", "domain_name": "domainName", "search_path": "searchPath",
                 "dns": "dns", "ntp": "ntp"}


def port_group_settings_check(entry, *, path: str = "", port_group_name: str | None = None) -> tuple[dict, dict[str, list[str]]]:
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
        errors[path or "settings"] = ["must be an object like {\"portGroupName\": …, \"gateway\": …, \"subnetMask\": …}"]
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
        port_group_name=name, use_dhcp=use_dhcp, gateway=gateway, prefix_length=prefix or mask_prefix,
        domain_name=domain_name, search_path=search_path, dns=dns, ntp=ntp,
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
    from datacenters.selectors import port_group_settings_dict

    return port_group_settings_dict(settings), {}


def _networks_normalize(networks, spec: dict, errors: dict[str, list[str]]) -> list[dict]:
    """`content.networks` of a component spec, checked entry by entry (paths ``content.networks[i]…``)."""
    if spec.get("datacenterComponentType") != ComponentType.VCENTER:
        errors.setdefault("content.networks", []).append(
            f"only a VCENTER component has port groups, not a {spec.get('datacenterComponentType')}")
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
            errors.setdefault(f"{path}.portGroupName", []).append(f"'{name}' is also set at content.networks[{seen[name]}]")
            continue
        seen[name] = index
        normalized.append(canonical)
    return normalized


def _port_group_settings_save(component: DatacenterComponent, entry: dict) -> PortGroupSettings:
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
    component = _component(component_name)
    if component.component_type != ComponentType.VCENTER:
        raise NotFound(f"{component_name} is a {component.get_component_type_display()}; only vCenter Servers have port groups")
    known = InventoryObject.objects.filter(component=component, kind=InventoryKind.NETWORK, name=port_group_name).exists()
    if not known and not PortGroupSettings.objects.filter(component=component, port_group_name=port_group_name).exists():
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
        return _port_group_settings_save(component, canonical)


def port_group_settings_remove(*, component_name: str, port_group_name: str) -> None:
    """Forget the settings of a port group (typically one that disappeared from the inventory)."""
    component = _port_group_component(component_name, port_group_name)
    deleted, _ = PortGroupSettings.objects.filter(component=component, port_group_name=port_group_name).delete()
    if not deleted:
        raise NotFound(f"port group '{port_group_name}' of {component_name} has no IPv4 settings")
