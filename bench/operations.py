"""An operation of empty actions, to measure what the engine itself costs per action."""

from lifecycle.engine.operations import ActionSpec, Operation, operation_register

operation_register(
    Operation(
        name="bench.noop",
        title="Benchmark: empty actions",
        target_type="bench",
        stages=tuple(ActionSpec(f"noop{i}", f"Empty action {i}", lambda ctx: None) for i in range(20)),
    )
)
