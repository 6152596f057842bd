"""The steps of datacenter operations. Each is a small function of the task engine's ActionContext."""

from __future__ import annotations

from collections import Counter

from django.conf import settings

from datacenters import nsxt, vrops
from datacenters.models import ComponentType, DatacenterComponent
from datacenters.services import certificates, components, specs
from datacenters.vsphere.connection import certificate_probe, connect
from datacenters.vsphere.inventory import about_read as vcenter_about_read
from datacenters.vsphere.inventory import inventory_read
from lifecycle.engine.operations import ActionFailed
from lifecycle.engine.runner import ActionContext


def _target(ctx: ActionContext) -> dict:
    """Where to connect and as whom: the request (register, validate, update) or the stored component."""
    request = ctx.request
    if "fqdn" in request:
        return request
    component = DatacenterComponent.objects.filter(component_name=request["componentName"]).first()
    if component is None:
        raise ActionFailed(f"the datacenter component '{request['componentName']}' no longer exists")
    spec = specs.spec_from_component(component)
    spec["password"] = component.password
    spec["content"]["certificate"]["pem"] = component.certificate_pem
    return spec


def certificate_verify(ctx: ActionContext) -> dict:
    """The server must present the certificate the user accepted (trust on first use)."""
    target = _target(ctx)
    accepted = target["content"]["certificate"]["thumbprint"]
    ctx.log(f"fetching the certificate of {target['fqdn']}:{target['port']}")
    presented = certificate_probe(fqdn=target["fqdn"], port=target["port"], timeout=settings.LCM_VCENTER_TIMEOUT)
    if not certificates.thumbprints_equal(presented.thumbprint, accepted):
        raise ActionFailed(
            f"the certificate presented by {target['fqdn']}:{target['port']} has changed: it now presents SHA-256 "
            f"{presented.thumbprint}, not the accepted {accepted}; check it and accept the new certificate to continue"
        )
    ctx.log(f"the server presents the accepted certificate {presented.thumbprint} ({presented.subject})")
    return {"pem": presented.pem, **presented.to_dict()}


def _connect(ctx: ActionContext, client_connect=connect):
    """A session with the target (vCenter by default; `client_connect` of the NSX-T or vROps client),
    trusting only the certificate that certificate_verify found."""
    target = _target(ctx)
    pem = ctx.result_of("certificate_verify")["pem"]
    return client_connect(
        fqdn=target["fqdn"],
        port=target["port"],
        username=target["username"],
        password=target["password"],
        certificate_pem=pem,
        timeout=settings.LCM_VCENTER_TIMEOUT,
    ), target


def login(ctx: ActionContext) -> dict:
    connection, target = _connect(ctx)
    with connection as si:
        session = si.RetrieveContent().sessionManager.currentSession
        user = session.userName if session else target["username"]
    ctx.log(f"logged in to {target['fqdn']}:{target['port']} as {user}")
    return {"userName": user}


def about_read(ctx: ActionContext) -> dict:
    connection, target = _connect(ctx)
    with connection as si:
        about = vcenter_about_read(si)
    if about.get("apiType") != "VirtualCenter":
        raise ActionFailed(
            f"{target['fqdn']} is not a vCenter Server (it reports {about.get('fullName')}, API type {about.get('apiType')})"
        )
    ctx.log(f"{about.get('fullName')}")
    ctx.progress(100, f"{about.get('fullName')}")
    return about


def inventory_discover(ctx: ActionContext) -> dict:
    connection, target = _connect(ctx)
    with connection as si:
        ctx.check_cancel()
        items = [item.to_dict() for item in inventory_read(si)]
    counts = Counter(item["kind"] for item in items)
    summary = ", ".join(f"{n} {kind.replace('_', ' ')}{'s' if n != 1 else ''}" for kind, n in sorted(counts.items()))
    ctx.log(f"found {summary}")
    ctx.progress(100, f"found {summary}")
    return {"items": items}


# --- NSX-T Manager and vRealize Operations Manager: the same steps over their REST APIs ---


def _rest_login(ctx: ActionContext, client) -> dict:
    connection, target = _connect(ctx, client.connect)
    with connection as session:
        user = client.user_read(session)
    roles = f" (roles: {', '.join(user['roles'])})" if user.get("roles") else ""
    ctx.log(f"logged in to {target['fqdn']}:{target['port']} as {user['userName']}{roles}")
    return user


def _rest_about_read(ctx: ActionContext, client, identity: tuple[str, ...]) -> dict:
    connection, _ = _connect(ctx, client.connect)
    with connection as session:
        about = client.about_read(session)
    facts = ", ".join(f"{key} {about[key]}" for key in identity if about.get(key))
    ctx.log(
        f"{about['fullName']}"
        + (f" (build {about['build']})" if about.get("build") else "")
        + (f"; {facts}" if facts else "")
    )
    ctx.progress(100, about["fullName"])
    return about


def nsxt_login(ctx: ActionContext) -> dict:
    return _rest_login(ctx, nsxt)


def nsxt_about_read(ctx: ActionContext) -> dict:
    return _rest_about_read(ctx, nsxt, ("hostname", "nodeUuid", "clusterId", "clusterStatus"))


def vrops_login(ctx: ActionContext) -> dict:
    return _rest_login(ctx, vrops)


def vrops_about_read(ctx: ActionContext) -> dict:
    return _rest_about_read(ctx, vrops, ("nodeStatus",))


# --- storing ---


def _store(ctx: ActionContext, *, create: bool) -> dict:
    target = _target(ctx)
    certificate = ctx.result_of("certificate_verify")
    about = ctx.result_of("about_read")
    with_inventory = target["datacenterComponentType"] == ComponentType.VCENTER
    inventory = ctx.result_of("inventory_discover")["items"] if with_inventory else None
    component = components.component_store(
        spec=target, certificate=certificate, about=about, inventory=inventory, create=create
    )
    stored = f"stored {component.component_name}" + (
        f" with {len(inventory)} inventory objects" if inventory is not None else ""
    )
    ctx.log(stored)
    networks = (target.get("content") or {}).get("networks") or []
    if networks:
        ctx.log(f"stored the IPv4 settings of {len(networks)} port group{'s' if len(networks) != 1 else ''}")
        discovered = {item["name"] for item in inventory or [] if item["kind"] == "network"}
        for entry in networks:
            if entry["portGroupName"] not in discovered:
                ctx.log(f"port group '{entry['portGroupName']}' was not found in the inventory; its settings are kept")
    ctx.progress(100, stored)
    return {"componentName": component.component_name}


def component_create(ctx: ActionContext) -> dict:
    return _store(ctx, create=True)


def component_update(ctx: ActionContext) -> dict:
    return _store(ctx, create=False)


def component_remove(ctx: ActionContext) -> dict:
    name = ctx.request["componentName"]
    components.component_remove(component_name=name)
    ctx.log(f"removed {name}, its inventory and its port group settings")
    return {"componentName": name}
