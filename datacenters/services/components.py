"""The life of a datacenter component: the tasks that register, validate, update, discover and delete
it, and the writes their last actions make."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction

from datacenters.models import ComponentType, DatacenterComponent, InventoryObject
from datacenters.selectors import datacenter_get
from datacenters.services.certificates import thumbprint_check
from datacenters.services.port_groups import port_group_settings_save
from datacenters.services.specs import SPEC_FIELDS, spec_normalize
from lifecycle.engine.models import Status, Task
from lifecycle.engine.services import task_create
from lifecycle.errors import Conflict, ValidationFailed

# Operations by component type: "<prefix>.register", ".validate", ".update", ".discover". vCenter keeps
# the "datacenter." names it always had; every type shares "datacenter.delete" (no server is asked).
OPERATION_PREFIX = {ComponentType.VCENTER: "datacenter", ComponentType.NSXT: "nsxt", ComponentType.VROPS: "vrops"}
REGISTER_OPERATIONS = tuple(f"{prefix}.register" for prefix in OPERATION_PREFIX.values())


def operation_for(component_type: str, verb: str) -> str:
    return f"{OPERATION_PREFIX[ComponentType(component_type)]}.{verb}"


def target_key(component_name: str) -> str:
    return f"datacenter:{component_name}"


def _name_free(name: str) -> None:
    """No component of this name, and no registration of it still pending."""
    pending = Task.objects.filter(
        target_key=target_key(name), operation__in=REGISTER_OPERATIONS, status__in=Status.unfinished()
    ).first()
    if pending:
        raise ValidationFailed.field(
            "componentName", f"a datacenter component named '{name}' is being registered already (task {pending.pk})"
        )


def _component_task(operation: str, component_name: str, request: dict, *, user: User | AnonymousUser | None) -> Task:
    """A task of this operation on the named component."""
    return task_create(
        operation=operation,
        target_type="datacenter",
        target_name=component_name,
        target_key=target_key(component_name),
        request=request,
        user=user,
    )


def datacenter_register(*, spec: dict, user: User | AnonymousUser | None = None, validate_only: bool = False) -> Task:
    """Register a component (or, with validate_only, run the same checks and store nothing)."""
    spec = spec_normalize(spec)
    if not validate_only:
        _name_free(spec["componentName"])
    thumbprint_check(spec)
    return _component_task(
        operation_for(spec["datacenterComponentType"], "validate" if validate_only else "register"),
        spec["componentName"],
        spec,
        user=user,
    )


def datacenter_update(*, component_name: str, spec: dict, user: User | AnonymousUser | None = None) -> Task:
    """Change a component's address, credentials, accepted certificate or port group settings.

    The task checks the certificate and logs in with the new settings before it stores anything.
    """
    existing = datacenter_get(component_name=component_name)
    spec = spec_normalize(spec, existing=existing)
    thumbprint_check(spec)
    return _component_task(operation_for(existing.component_type, "update"), component_name, spec, user=user)


def datacenter_discover(*, component_name: str, user: User | AnonymousUser | None = None) -> Task:
    """Read a vCenter's inventory again, or an NSX-T Manager's or vROps' version and identity."""
    component = datacenter_get(component_name=component_name)
    return _component_task(
        operation_for(component.component_type, "discover"),
        component_name,
        {"componentName": component_name},
        user=user,
    )


def datacenter_delete(*, component_name: str, user: User | AnonymousUser | None = None) -> Task:
    """Remove a component no product uses (checked now, and again by the task before it deletes)."""
    datacenter_get(component_name=component_name)
    _unused_check(component_name)
    return _component_task("datacenter.delete", component_name, {"componentName": component_name}, user=user)


@transaction.atomic
def component_store(
    *, spec: dict, certificate: dict, about: dict, inventory: list[dict] | None, create: bool
) -> DatacenterComponent:
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
        port_group_settings_save(component, entry)
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
