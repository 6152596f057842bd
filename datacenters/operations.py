"""Datacenter operations as data: the runbook of each, one action per line."""

from datacenters import actions
from datacenters.models import component_secrets
from lifecycle.engine.operations import ActionSpec, Operation, operation_register

VERIFY = ActionSpec("certificate_verify", "Verify the server certificate", actions.certificate_verify)
LOGIN = ActionSpec("login", "Connect and log in", actions.login)
ABOUT = ActionSpec("about_read", "Read the version and build", actions.about_read)
DISCOVER = ActionSpec(
    "inventory_discover",
    "Discover datacenters, clusters, hosts, pools, datastores, networks and folders",
    actions.inventory_discover,
    checkpoint=True,
)


def _input_update(*, task, request: dict) -> dict:
    """A restart with corrected input re-runs the request-time checks of the original operation."""
    from datacenters.services import certificates, components, specs
    from lifecycle.errors import ValidationFailed

    if request.get("componentName") != task.target_name:
        raise ValidationFailed.field("componentName", f"cannot be changed on restart (it is '{task.target_name}')")
    spec = specs.spec_normalize(request)
    if components.operation_for(spec["datacenterComponentType"], task.operation.rsplit(".", 1)[1]) != task.operation:
        raise ValidationFailed.field(
            "datacenterComponentType", f"cannot be changed on restart (this task is {task.operation})"
        )
    certificates.thumbprint_check(spec)
    return spec


# Each kind of component has the same four operations: verify the certificate, then read what the kind
# has (vCenter Server: its version and inventory; NSX-T Manager and vRealize Operations Manager: over their
# REST APIs, their version and identity), then store it. `found` names what is read and stored.
COMPONENT_KINDS = (
    ("datacenter", "vCenter Server", "inventory", (LOGIN, ABOUT, DISCOVER)),
    (
        "nsxt",
        "NSX-T Manager",
        "version and identity",
        (
            ActionSpec("login", "Connect and log in", actions.nsxt_login),
            ActionSpec("about_read", "Read the version and identity (node and cluster)", actions.nsxt_about_read),
        ),
    ),
    (
        "vrops",
        "vRealize Operations Manager",
        "version and identity",
        (
            ActionSpec("login", "Acquire a session token", actions.vrops_login),
            ActionSpec("about_read", "Read the version and node status", actions.vrops_about_read),
        ),
    ),
)
for prefix, product, found, reads in COMPONENT_KINDS:
    for verb, title, store, input_update in (
        (
            "register",
            f"Register {product}",
            ActionSpec("component_create", f"Store the component and its {found}", actions.component_create),
            _input_update,
        ),
        ("validate", f"Validate {product}", None, _input_update),
        (
            "update",
            f"Update {product}",
            ActionSpec("component_update", f"Store the new settings and the {found}", actions.component_update),
            None,
        ),
        (
            "discover",
            f"Discover {product} {found}",
            ActionSpec("component_update", f"Store the {found}", actions.component_update),
            None,
        ),
    ):
        operation_register(
            Operation(
                name=f"{prefix}.{verb}",
                title=title,
                target_type="datacenter",
                stages=(VERIFY, *reads, *((store,) if store else ())),
                input_update=input_update,
                secrets=component_secrets,
            )
        )

operation_register(
    Operation(
        name="datacenter.delete",
        title="Delete datacenter component",
        target_type="datacenter",
        secrets=component_secrets,
        stages=(
            ActionSpec(
                "component_remove",
                "Check that no product uses it, then remove the component, its inventory and port group settings",
                actions.component_remove,
            ),
        ),
    )
)
