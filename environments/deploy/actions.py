"""The steps of environment operations: deploy (pre-checks, import, start, appliance setup) and delete.

A deploy task's request holds the definition it deploys (secrets as stored-secret references, resolved
through ``ctx.secret`` only where they are sent, so they are blanked in the log). Each node's progress
is recorded on its Node row as it happens, so that a restart or a delete knows what exists.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from datacenters.vsphere import ovf_import, vms
from datacenters.vsphere.errors import Unreachable
from environments import services
from environments.checks.report import FAIL
from environments.deploy import states
from environments.deploy.inputs import (
    deployment_option,
    disk_provisioning,
    network_mapping,
    ovf_properties,
    package_for,
    placement_of,
    vcenter_component,
    vcenter_connect,
)
from environments.deploy.plan import NodeRef, node_get, nodes_of
from environments.deploy.prechecks import prechecks_run
from environments.models import Node, NodeState, Product
from environments.selectors import node_keys_with_vm
from lifecycle.engine.operations import ActionFailed
from lifecycle.engine.runner import ActionContext
from lifecycle.waits import WaitTimedOut, duration_text, polling, wait_until
from products.appliances.base import ApplianceNode, NotReady


def environment_remove(ctx: ActionContext) -> dict:
    environment_id = ctx.request["environmentId"]
    services.environment_remove(environment_id=environment_id)
    ctx.log(f"removed the definition of {environment_id}")
    return {"environmentId": environment_id}


def product_remove(ctx: ActionContext) -> dict:
    request = ctx.request
    services.product_remove(environment_id=request["environmentId"], product_id=request["productId"])
    ctx.log(f"removed product {request['productId']} from {request['environmentId']}")
    return {"productId": request["productId"]}


# --- helpers ----------------------------------------------------------------------------------------


def _ref(ctx: ActionContext) -> NodeRef:
    return node_get(ctx.request["definition"], ctx.item)


def _node(ctx: ActionContext, item: str | None = None) -> Node:
    product_id, node_id = (item or ctx.item).split("/", 1)
    node = Node.objects.filter(
        product__environment__environment_id=ctx.request["environmentId"],
        product__product_id=product_id,
        node_id=node_id,
    ).first()
    if node is None:
        raise ActionFailed(f"node {item or ctx.item} is no longer in environment {ctx.request['environmentId']}")
    return node


def _vcenter(name: str):
    component = vcenter_component(name)
    if component is None:
        raise ActionFailed(f"no registered vCenter Server '{name}'")
    return component


def _mib(n: float) -> str:
    return f"{n / (1 << 20):.1f}"


def _timed_out(timed_out: WaitTimedOut) -> ActionFailed:
    return ActionFailed(timed_out.message)


# --- deploy -----------------------------------------------------------------------------------------


def prechecks(ctx: ActionContext) -> dict:
    request = ctx.request
    deployed = node_keys_with_vm(environment_id=request["environmentId"])
    checks = prechecks_run(
        request["definition"],
        product_ids=request.get("productIds"),
        skip=lambda ref: (ref.product_id, ref.node_id) in deployed,
    )
    for check in checks:
        ctx.log(f"{check.status:4} {check.check:10} {check.path}: {check.message}")
    failed = [c for c in checks if c.status == FAIL]
    if failed:
        shown = "; ".join(f"{c.path}: {c.message}" for c in failed[:3])
        more = f" (and {len(failed) - 3} more, see the log)" if len(failed) > 3 else ""
        raise ActionFailed(f"{len(failed)} pre-check(s) failed: {shown}{more}")
    if deployed:
        ctx.log(f"{len(deployed)} node(s) already have a VM of ours; they were not checked again")
    return {"checks": [c.to_dict() for c in checks]}


def vm_import(ctx: ActionContext) -> dict:
    ref, node = _ref(ctx), _node(ctx)
    component = _vcenter(ref.deployment["vcenterName"])
    package = package_for(ref)
    if package is None:
        raise ActionFailed(f"the repository has no usable OVA of {ref.product_type.code} {ref.product['version']}")
    with vcenter_connect(component) as si:
        if node.instance_uuid:
            done = _import_earlier(ctx, si, node)
            if done:
                return done
        return _import(ctx, si, ref, node, component, package)


def _import_earlier(ctx: ActionContext, si, node: Node) -> dict | None:
    """A VM recorded for this node: kept when its import completed, removed when it did not."""
    moref = vms.vm_find_by_uuid(si, node.instance_uuid)
    if moref and node.deploy_state not in (NodeState.IMPORTING, NodeState.DEFINED, NodeState.DELETED):
        ctx.log(
            f"the VM of this node ({moref}, instance UUID {node.instance_uuid}) was imported by an earlier run; "
            "it is kept"
        )
        return {"moref": moref, "instanceUuid": node.instance_uuid, "bytes": 0, "seconds": 0, "kept": True}
    if moref:
        ctx.log(f"removing the half-made VM {moref} (instance UUID {node.instance_uuid}) an earlier run left")
        vms.vm_destroy(si, moref=moref)
    states.vm_forgotten(node)
    return None


def _import(ctx: ActionContext, si, ref: NodeRef, node: Node, component, package) -> dict:
    placement = placement_of(si, ref)
    existing = vms.vm_named_in_folder(si, folder=placement.folder, name=ref.node["vmName"])
    if existing:
        raise ActionFailed(
            f"a VM named '{ref.node['vmName']}' ({existing}) is already in folder {placement.folder.name} "
            "and it is not one this system made; rename or remove it, or choose another vmName"
        )
    properties, notes = ovf_properties(ref, package, secret=lambda value: ctx.secret(value))
    for note in notes:
        ctx.log(note)
    mapping = network_mapping(ref, package)
    ctx.log("networks: " + (", ".join(f"{k} → {v}" for k, v in mapping.items()) or "none"))
    option = deployment_option(ref)
    spec = ovf_import.import_spec_create(
        si,
        descriptor=package.descriptor,
        placement=placement,
        entity_name=ref.node["vmName"],
        deployment_option=option,
        network_mapping=mapping,
        properties=properties,
        disk_provisioning=disk_provisioning(ref),
    )
    for warning in spec.warnings:
        ctx.log(f"vCenter warning: {warning}")
    path = Path(settings.LCM_REPOSITORY_DIR) / package.path
    files = ovf_import.package_files(
        path, kind=package.kind, files=[str(Path(f).relative_to(Path(package.path).parent)) for f in package.files]
    )
    deployment = ref.deployment
    ctx.log(
        f"importing {package.path} as {ref.node['vmName']} into {deployment['datacenterName']}/"
        f"{deployment.get('clusterName')}/{deployment.get('resourcePool') or 'Resources'}, folder "
        f"{deployment.get('vmFolder') or 'vm'}, datastore {placement.datastore.name}"
        + (f", deployment option {option}" if option else "")
        + f", {disk_provisioning(ref)} disks"
    )

    def created(moref: str, uuid: str) -> None:
        states.vm_recorded(node, moref=moref, instance_uuid=uuid, vcenter_name=component.component_name)

    def report(upload: ovf_import.Upload) -> None:
        ctx.progress(
            upload.percent,
            f"uploaded {_mib(upload.done)} of {_mib(upload.total)} MiB "
            f"({upload.percent:.0f} %), {_mib(upload.rate)} MiB/s, "
            f"{duration_text(upload.eta)} left",
        )

    try:
        imported = ovf_import.ovf_import(
            si,
            connected_to=(component.fqdn, component.port),
            certificate_pem=component.certificate_pem,
            spec=spec,
            placement=placement,
            files=files,
            on_created=created,
            report=report,
            check=ctx.check_cancel,
            log=ctx.log,
        )
    except BaseException:
        _forget_if_gone(si, node)
        raise
    states.vm_imported(node)
    rate = imported.bytes_sent / imported.seconds if imported.seconds else 0
    ctx.log(
        f"imported {imported.moref} (instance UUID {imported.instance_uuid}): {_mib(imported.bytes_sent)} MiB in "
        f"{imported.seconds:.1f} s ({_mib(rate)} MiB/s)"
    )
    return {
        "moref": imported.moref,
        "instanceUuid": imported.instance_uuid,
        "bytes": imported.bytes_sent,
        "seconds": round(imported.seconds, 3),
    }


def _forget_if_gone(si, node: Node) -> None:
    """After a failed import: if the half-made VM was removed, the node has no VM any more."""
    node.refresh_from_db()
    if not node.instance_uuid:
        return
    try:
        if vms.vm_find_by_uuid(si, node.instance_uuid) is None:
            states.vm_forgotten(node)
    except Exception:  # vCenter unreachable now: the record stays, and a restart removes the VM first
        pass


def vm_start(ctx: ActionContext) -> dict:
    ref, node = _ref(ctx), _node(ctx)
    component = _vcenter(node.vcenter_name or ref.deployment["vcenterName"])
    expected = (ref.node.get("nics") or [{}])[0].get("ipAddress")
    timeout = ref.product_type.timeout("guest")
    with vcenter_connect(component) as si:
        moref = vms.vm_find_by_uuid(si, node.instance_uuid) if node.instance_uuid else None
        if moref is None:
            raise ActionFailed(
                f"the VM of node {ctx.item} (instance UUID {node.instance_uuid or 'not recorded'}) "
                "does not exist; restart the deployment from its import"
            )
        state = vms.vm_read(si, moref)
        cpus, memory = ref.node.get("cpuNum"), ref.node.get("ramMemory")
        if (
            (cpus or memory)
            and state["powerState"] != "poweredOn"
            and ((cpus and cpus != state["numCPU"]) or (memory and memory != state["memoryMB"]))
        ):
            vms.vm_hardware_set(si, moref=moref, cpus=cpus, memory_mb=memory)
            ctx.log(f"set {cpus or state['numCPU']} vCPU and {memory or state['memoryMB']} MB of memory")
        if state["powerState"] != "poweredOn":
            vms.vm_power_on(si, moref=moref)
            ctx.log(f"powered on {moref}")
        states.vm_powered_on(node, moref=moref)
        seen: dict = {}
        with vms.vm_guest_watch(si, moref=moref) as reported:

            def guest() -> str | None:
                seen.update(reported.values)
                if seen.get("toolsRunningStatus") != "guestToolsRunning":
                    return f"VMware Tools are {seen.get('toolsRunningStatus') or 'not running'}"
                if not seen.get("ipAddress"):
                    return "the guest reports no IP address yet"
                return None

            wait_until(
                guest,
                what="the guest (VMware Tools and its IP)",
                timeout=timeout,
                pause=reported.pause,
                check=ctx.check_cancel,
                progress=ctx.progress,
                gave_up=_timed_out,
            )
    ip = seen["ipAddress"]
    states.guest_up(node, ip_address=ip, power_state=str(seen.get("powerState") or ""))
    if expected and ip != expected:
        raise ActionFailed(
            f"the guest came up with IP {ip}, not the configured {expected}: the appliance did not "
            "take its network settings; check the OVF properties in the log of its import"
        )
    ctx.log(f"the guest is up: VMware Tools running, IP {ip}")
    return {"moref": moref, "ipAddress": ip}


def _appliance_nodes(ctx: ActionContext, ref: NodeRef) -> dict[str, ApplianceNode]:
    """Every node of ref's product as its appliance API sees it (secrets resolved, blanked in the log)."""
    product = ref.product
    declared = {p.name: p for p in ref.product_type.properties}
    properties = {}
    for prop in ref.product_type.properties:
        value = (product.get("properties") or {}).get(prop.name, prop.default)
        properties[prop.name] = ctx.secret(value) if prop.secret and isinstance(value, str) else value
    for name, value in (product.get("properties") or {}).items():
        if name not in declared:
            properties[name] = value
    product_clear = {**product}
    if isinstance(product.get("adminPassword"), str):
        product_clear["adminPassword"] = ctx.secret(product["adminPassword"])
    rows = {
        n.node_id: n
        for n in Product.objects.get(
            environment__environment_id=ctx.request["environmentId"], product_id=product["productId"]
        ).nodes.all()
    }
    timeout = settings.LCM_VCENTER_TIMEOUT
    nodes: dict[str, ApplianceNode] = {}
    for other in nodes_of({"products": [product]}):
        row = rows.get(other.node_id)
        nics = other.node.get("nics") or [{}]
        nodes[other.node_id] = ApplianceNode(
            node_id=other.node_id,
            ip=(row.ip_address if row and row.ip_address else nics[0].get("ipAddress") or ""),
            host_name=other.node["hostName"],
            role=other.role,
            is_primary=other.is_primary,
            root_password=ctx.secret(other.node.get("rootPassword") or ""),
            properties=properties,
            product=product_clear,
            primary=None,
            log=ctx.log,
            certificates=dict(row.certificates) if row else {},
            timeout=timeout,
            check=ctx.check_cancel,
        )
    primary = next((n for n in nodes.values() if n.is_primary), None)
    for appliance in nodes.values():
        appliance.primary = None if appliance is primary else primary
        appliance.nodes = list(nodes.values())
    return nodes


def _certificates_keep(ctx: ActionContext, appliance: ApplianceNode, item: str) -> None:
    node = _node(ctx, item)
    if node.certificates != appliance.certificates:
        states.certificates_kept(node, appliance.certificates)


def appliance_ready(ctx: ActionContext) -> dict:
    ref = _ref(ctx)
    appliance = _appliance_nodes(ctx, ref)[ref.node_id]
    api = ref.product_type.appliance
    step = api.ready if api is not None else None
    assert step is not None  # the plan runs this step only for types that have it

    def ready() -> str | None:
        try:
            step(appliance)
        except NotReady as exc:
            return exc.message
        except Unreachable as exc:
            return exc.message
        return None

    try:
        wait_until(
            ready,
            what=f"the {ref.product_type.title} appliance at {appliance.ip} to answer",
            timeout=ref.product_type.timeout("ready"),
            pause=polling(settings.LCM_POLL_INTERVAL),
            check=ctx.check_cancel,
            progress=ctx.progress,
            gave_up=_timed_out,
        )
    finally:
        _certificates_keep(ctx, appliance, ctx.item)
    states.appliance_answered(_node(ctx))
    ctx.log(f"the {ref.product_type.title} appliance at {appliance.ip} answers")
    return {"ipAddress": appliance.ip}


def _appliance_call(
    ctx: ActionContext, appliance: ApplianceNode, item: str, step: Callable[[ApplianceNode], None]
) -> None:
    """One product step against the appliance (its refusals are the action's failure); the certificates
    it trusted on first use are kept on the node either way."""
    try:
        step(appliance)
    finally:
        _certificates_keep(ctx, appliance, item)


def appliance_setup(ctx: ActionContext) -> dict:
    ref = _ref(ctx)
    appliance = _appliance_nodes(ctx, ref)[ref.node_id]
    api = ref.product_type.appliance
    assert api is not None and api.setup is not None  # the plan runs this step only for types that have it
    _appliance_call(ctx, appliance, ctx.item, api.setup)
    states.appliance_set_up(_node(ctx))
    ctx.log(f"{ref.product_type.title} {appliance.role} {appliance.host_name} is set up")
    return {"role": appliance.role}


def product_finish(ctx: ActionContext) -> dict:
    product_id = ctx.item
    refs = nodes_of(ctx.request["definition"], [product_id])
    product_type = refs[0].product_type
    api = product_type.appliance
    if api and api.finish:
        primary = next(r for r in refs if r.is_primary)
        _appliance_call(ctx, _appliance_nodes(ctx, primary)[primary.node_id], primary.item, api.finish)
    states.products_transition(environment_id=ctx.request["environmentId"], event="deployed", product_ids=[product_id])
    ctx.log(f"{product_type.title} {product_id} is deployed ({len(refs)} node(s))")
    return {"productId": product_id}


def deployment_finish(ctx: ActionContext) -> dict:
    state = states.environment_settle(environment_id=ctx.request["environmentId"])
    ctx.log(f"environment {ctx.request['environmentId']} is {state.lower()}")
    return {"environmentState": state}


# --- delete -----------------------------------------------------------------------------------------


def vm_destroy(ctx: ActionContext) -> dict:
    node = _node(ctx)
    if not node.instance_uuid:
        ctx.log("this node has no VM of ours recorded; nothing to remove")
        return {"removed": False}
    component = _vcenter(node.vcenter_name)
    with vcenter_connect(component) as si:
        moref = vms.vm_find_by_uuid(si, node.instance_uuid)
        if moref is None:
            ctx.log(f"no VM with instance UUID {node.instance_uuid} in {component.component_name}: already gone")
        else:
            vms.vm_destroy(si, moref=moref)
            ctx.log(f"powered off and destroyed {moref} (instance UUID {node.instance_uuid})")
    states.vm_destroyed(node)
    return {"removed": moref is not None, "moref": moref}
