"""Environment operations as data."""
from environments import actions
from lifecycle.operations import ActionSpec, Operation, operation_register

operation_register(
    Operation(
        name="environment.delete",
        title="Delete environment",
        target_type="environment",
        stages=(ActionSpec("environment_remove", "Remove the environment's definition", actions.environment_remove),),
    )
)
