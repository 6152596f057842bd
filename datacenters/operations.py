"""Datacenter operations as data: the runbook of each, one action per line."""
from datacenters import actions
from lifecycle.operations import ActionSpec, Operation, operation_register

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
    from datacenters import services

    if request.get("componentName") != task.target_name:
        from lifecycle.errors import ValidationFailed

        raise ValidationFailed.field("componentName", f"cannot be changed on restart (it is '{task.target_name}')")
    spec = services.spec_normalize(request)
    services._thumbprint_check(spec)
    return spec


operation_register(
    Operation(
        name="datacenter.register",
        title="Register vCenter Server",
        target_type="datacenter",
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
        stages=(VERIFY, LOGIN, ABOUT, DISCOVER),
        input_update=_input_update,
    )
)

operation_register(
    Operation(
        name="datacenter.update",
        title="Update vCenter Server",
        target_type="datacenter",
        stages=(VERIFY, LOGIN, ABOUT, DISCOVER,
                ActionSpec("component_update", "Store the new settings and the inventory", actions.component_update)),
    )
)

operation_register(
    Operation(
        name="datacenter.discover",
        title="Discover vCenter Server inventory",
        target_type="datacenter",
        stages=(VERIFY, LOGIN, ABOUT, DISCOVER,
                ActionSpec("component_update", "Store the inventory", actions.component_update)),
    )
)

operation_register(
    Operation(
        name="datacenter.delete",
        title="Delete datacenter component",
        target_type="datacenter",
        stages=(ActionSpec("component_remove", "Remove the component and its inventory", actions.component_remove),),
    )
)
