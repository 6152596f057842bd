"""Operations used only by the engine's tests; workers started by the tests import this module."""

import time

from lifecycle.engine.operations import ActionFailed, ActionSpec, Operation, operation_register
from lifecycle.errors import ValidationFailed


def _first(ctx):
    ctx.log(f"first step of {ctx.request.get('label', 'the test')}; secret is {ctx.request.get('password', '')}")
    return {"started": True}


def _slow(ctx):
    ctx.log("slow step running")
    seconds = float(ctx.request.get("sleep", 0))
    steps = max(1, int(seconds / 0.1))
    for i in range(steps):
        ctx.check_cancel()
        time.sleep(seconds / steps)
        ctx.progress(100 * (i + 1) / steps)
    return {"slept": seconds}


def _maybe_fail(ctx):
    ctx.log("checking the input")
    if ctx.request.get("fail"):
        raise ActionFailed(f"the input says fail (password {ctx.request.get('password')})")
    return {"first": ctx.result_of("first")}


def _boom(ctx):
    if ctx.request.get("password"):
        raise RuntimeError(f"a bug that shows the secret {ctx.request['password']}")
    raise RuntimeError("a bug in an action")


def _node(ctx):
    ctx.log(f"deploying node {ctx.item}")
    time.sleep(float(ctx.request.get("node_sleep", 0.5)))
    if ctx.item in ctx.request.get("failing_nodes", []):
        raise ActionFailed(f"node {ctx.item} failed")
    return {"node": ctx.item}


def _password(request: dict) -> tuple[str, ...]:
    """The test operations' one secret: their request's "password"."""
    return ("password",)


def _input_update(*, task, request):
    if not isinstance(request.get("sleep", 0), (int, float)):
        raise ValidationFailed.field("sleep", "must be a number of seconds")
    return request


# The step both operations start with.
FIRST = ActionSpec("first", "First step", _first, checkpoint=True)

operation_register(
    Operation(
        name="test.steps",
        title="Engine test: steps",
        target_type="test",
        secrets=_password,
        stages=(
            FIRST,
            ActionSpec("slow", "Slow step", _slow),
            ActionSpec("maybe_fail", "Step that may fail", _maybe_fail),
        ),
        input_update=_input_update,
    )
)

operation_register(
    Operation(
        name="test.nodes",
        title="Engine test: nodes in parallel",
        target_type="test",
        secrets=_password,
        stages=(
            FIRST,
            ActionSpec("node", "Deploy node", _node, for_each=lambda request: request.get("nodes", [])),
            ActionSpec("last", "Last step", lambda ctx: {"last": True}),
        ),
        input_update=_input_update,
    )
)

operation_register(
    Operation(
        name="test.bug",
        title="Engine test: an action with a bug",
        target_type="test",
        secrets=_password,
        stages=(ActionSpec("boom", "Step with a bug", _boom),),
    )
)
