"""Operations declared as data: each is an ordered list of actions, like a product's runbook.

Apps declare theirs in ``<app>/operations.py`` (imported at start-up) with ``operation_register``.
An action is a small function ``run(ctx: ActionContext) -> dict | None``: it reads the request and
earlier results from ``ctx``, reports through ``ctx.log``/``ctx.progress``, raises ``ActionFailed``
with a plain message when it cannot do its job (any ``lifecycle.errors.ApplicationError`` raised by
what it calls counts the same, so nothing translates errors by hand), and returns a JSON-able result
for later actions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lifecycle.errors import ApplicationError

if TYPE_CHECKING:
    from lifecycle.engine.runner import ActionContext


class ActionFailed(ApplicationError):
    """The action could not do its job; the message is shown to the user as it is."""


@dataclass(frozen=True)
class ActionSpec:
    name: str
    title: str
    run: Callable[[ActionContext], dict | None]
    checkpoint: bool = False  # once it succeeded, the task can be resumed from just after it
    # One copy of the action per item (e.g. per node), all in the same stage, run in parallel.
    for_each: Callable[[dict], Sequence[str]] | None = None


@dataclass(frozen=True)
class Operation:
    name: str  # e.g. "datacenter.register"
    title: str  # e.g. "Register vCenter Server"
    target_type: str
    stages: tuple[ActionSpec, ...]  # one stage each, in order
    # For a restart with corrected input: validate the new request against the task, return it
    # (unmasked). None: this operation takes no new input on restart.
    input_update: Callable[..., dict] | None = None
    # The JSON paths of the secrets in a request (see lifecycle.secrets), as the owners of its parts
    # declare them: ``secrets(request)``. They are kept apart from the request, encrypted, and blanked
    # from the task's log and messages.
    secrets: Callable[[dict], Iterable[str]] = lambda request: ()
    # Called once when a run of the task ends (SUCCESS, ERROR or CANCELLED), after the task row says so:
    # ``finished(task=task)``. For what must follow any ending, e.g. marking a deployment FAILED. An app's
    # sweep hook may call it again for a target it left unsettled: it must be idempotent.
    finished: Callable[..., None] | None = None
    # Called in the transaction that restarts a failed or cancelled run: ``restarted(task=task)``, e.g. to
    # mark a deployment as deploying again.
    restarted: Callable[..., None] | None = None

    def action_specs(self) -> dict[str, ActionSpec]:
        return {spec.name: spec for spec in self.stages}

    def plan(self, request: dict) -> list[tuple[int, ActionSpec, str]]:
        """The actions to create for this request: (stage, spec, item) in order."""
        rows: list[tuple[int, ActionSpec, str]] = []
        for stage_number, spec in enumerate(self.stages, start=1):
            items = spec.for_each(request) if spec.for_each else [""]
            rows.extend((stage_number, spec, item) for item in items)
        return rows


_OPERATIONS: dict[str, Operation] = {}


def operation_register(operation: Operation) -> Operation:
    names = [spec.name for spec in operation.stages]
    if len(names) != len(set(names)):
        raise ValueError(f"operation {operation.name} declares an action name twice")
    _OPERATIONS[operation.name] = operation
    return operation


def operation_get(name: str) -> Operation:
    try:
        return _OPERATIONS[name]
    except KeyError:
        raise LookupError(f"unknown operation {name!r}") from None


def operation_names() -> list[str]:
    return sorted(_OPERATIONS)


def operation_title(name: str) -> str:
    operation = _OPERATIONS.get(name)
    return operation.title if operation else name


# What the orphan sweep also runs, each time: an app's hook that settles what a task's ending left
# undone (its ``finished`` hook failed, say). Called with no argument; it must be idempotent.
_SWEEP_HOOKS: list[Callable[[], object]] = []  # what a hook returns is not used


def sweep_hook_register(hook: Callable[[], object]) -> Callable[[], object]:
    if hook not in _SWEEP_HOOKS:
        _SWEEP_HOOKS.append(hook)
    return hook


def sweep_hooks() -> list[Callable[[], object]]:
    return list(_SWEEP_HOOKS)
