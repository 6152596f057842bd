"""Environment operations as data: deploy, delete an environment, delete a product.

Imported by the environments app at start-up (EnvironmentsConfig.ready).
"""

from environments import services
from environments.deploy import actions
from environments.deploy.plan import items_products, items_vms, nodes_for
from lifecycle.engine.operations import ActionSpec, Operation, operation_register, sweep_hook_register
from products.types import product_secrets


def definition_secrets(request: dict) -> list[str]:
    """The secret paths of a deploy's request: those of each product of its definition, as the types declare."""
    products = (request.get("definition") or {}).get("products") or []
    return [
        f"definition.products[{i}].{path}" for i, product in enumerate(products) for path, _ in product_secrets(product)
    ]


def _nodes_bring_up(role: str, *, primary: bool, setup_title: str) -> tuple[ActionSpec, ...]:
    """Start, wait for and set up the primary nodes or the others: three stages, each node in parallel."""
    return (
        ActionSpec(
            f"{role}_start", "Power on, wait for the guest", actions.vm_start, for_each=nodes_for(primary=primary)
        ),
        ActionSpec(
            f"{role}_ready",
            "Wait for the appliance",
            actions.appliance_ready,
            for_each=nodes_for(primary=primary, step="ready"),
        ),
        ActionSpec(
            f"{role}_setup",
            setup_title,
            actions.appliance_setup,
            for_each=nodes_for(primary=primary, step="setup"),
            checkpoint=True,
        ),
    )


operation_register(
    Operation(
        name="environment.deploy",
        title="Deploy environment",
        target_type="environment",
        # Every node's OVF is imported at once (the long part); then the primary of each product is
        # started and set up, then the product's other nodes, all at once; then each product finishes.
        stages=(
            ActionSpec("prechecks", "Pre-checks", actions.prechecks),
            ActionSpec("vm_import", "Deploy the OVF", actions.vm_import, for_each=nodes_for(), checkpoint=True),
            *_nodes_bring_up("primary", primary=True, setup_title="Set up the primary"),
            *_nodes_bring_up("member", primary=False, setup_title="Set up and join"),
            ActionSpec("product_finish", "Finish the product", actions.product_finish, for_each=items_products),
            ActionSpec("deployment_finish", "Record the deployment", actions.deployment_finish),
        ),
        input_update=services.deployment_input_update,
        secrets=definition_secrets,
        finished=services.deployment_finished,
        restarted=services.deployment_restarted,
    )
)

# Both deletes destroy each VM recorded with an instance UUID (the request's "vms"), then remove the
# definition of what they delete.
VM_DESTROY = ActionSpec("vm_destroy", "Power off and destroy the VM", actions.vm_destroy, for_each=items_vms)
for name, title, remove in (
    (
        "environment.delete",
        "Delete environment",
        ActionSpec("environment_remove", "Remove the environment's definition", actions.environment_remove),
    ),
    (
        "product.delete",
        "Delete product",
        ActionSpec("product_remove", "Remove the product's definition", actions.product_remove),
    ),
):
    operation_register(
        Operation(
            name=name,
            title=title,
            target_type="environment",
            stages=(VM_DESTROY, remove),
            finished=services.delete_finished,
            restarted=services.delete_restarted,
        )
    )

# A deploy or delete whose ending hook did not run to its end (the worker died, the database refused)
# would leave its environment DEPLOYING or DELETING for ever: the orphan sweep settles it.
sweep_hook_register(services.environments_settle)
