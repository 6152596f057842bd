"""Repository operations as data: the runbook of a scan."""

from lifecycle.engine.operations import ActionSpec, Operation, operation_register
from products import actions

operation_register(
    Operation(
        name="repository.scan",
        title="Scan the repository of product binaries",
        target_type="repository",
        stages=(
            ActionSpec(
                "directory_check", "Check the repository directory and its product directories", actions.directory_check
            ),
            ActionSpec("files_scan", "Read every OVA, OVF and upgrade package (checksums cached)", actions.files_scan),
        ),
    )
)
