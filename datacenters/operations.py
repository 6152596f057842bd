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


operation_register(
    Operation(
        name="datacenter.register",
        title="Register vCenter Server",
        target_type="datacenter",
        secrets=component_secrets,
        stages=(VERIFY, LOGIN, ABOUT, DISCOVER,
                ActionSpec("component_create", "Store the component and its inventory", actions.component_create)),
        input_update=_input_update,
    )
)

operation_register(
    Operation(
        name="datacenter.validate",
        title="Validate vCenter Server",
        target_type="datacenter",
        secrets=component_secrets,
        stages=(VERIFY, LOGIN, ABOUT, DISCOVER),
        input_update=_input_update,
    )
)

operation_register(
    Operation(
        name="datacenter.update",
        title="Update vCenter Server",
        target_type="datacenter",
        secrets=component_secrets,
        stages=(VERIFY, LOGIN, ABOUT, DISCOVER,
                ActionSpec("component_update", "Store the new settings and the inventory", actions.component_update)),
    )
)

operation_register(
    Operation(
        name="datacenter.discover",
        title="Discover vCenter Server inventory",
        target_type="datacenter",
        secrets=component_secrets,
        stages=(VERIFY, LOGIN, ABOUT, DISCOVER,
                ActionSpec("component_update", "Store the inventory", actions.component_update)),
    )
)

operation_register(
    Operation(
        name="datacenter.delete",
        title="Delete datacenter component",
        target_type="datacenter",
        secrets=component_secrets,
        stages=(ActionSpec("component_remove", "Check that no product uses it, then remove the component, its "
                                               "inventory and port group settings", actions.component_remove),),
    )
)

# NSX-T Manager and vRealize Operations Manager: the same runbook over their REST APIs, without an
# inventory; "discover" reads the version and identity again.
STORE_NEW = ActionSpec("component_create", "Store the component", actions.component_create)
STORE = ActionSpec("component_update", "Store the new settings, version and identity", actions.component_update)
REST_PRODUCTS = (
    ("nsxt", "NSX-T Manager",
     ActionSpec("login", "Connect and log in", actions.nsxt_login),
     ActionSpec("about_read", "Read the version and identity (node and cluster)", actions.nsxt_about_read)),
    ("vrops", "vRealize Operations Manager",
     ActionSpec("login", "Acquire a session token", actions.vrops_login),
     ActionSpec("about_read", "Read the version and node status", actions.vrops_about_read)),
)
for prefix, product, login, about in REST_PRODUCTS:
    for verb, title, stages, input_update in (
        ("register", f"Register {product}", (VERIFY, login, about, STORE_NEW), _input_update),
        ("validate", f"Validate {product}", (VERIFY, login, about), _input_update),
        ("update", f"Update {product}", (VERIFY, login, about, STORE), None),
        ("discover", f"Discover {product} version and identity",
         (VERIFY, login, about, ActionSpec("component_update", "Store the version and identity", actions.component_update)),
         None),
    ):
        operation_register(Operation(name=f"{prefix}.{verb}", title=title, target_type="datacenter", stages=stages,
                                     input_update=input_update, secrets=component_secrets))
