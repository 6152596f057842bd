"""The steps of environment operations."""
from environments import services
from lifecycle.errors import ServiceError
from lifecycle.operations import ActionFailed


def environment_remove(ctx) -> dict:
    environment_id = ctx.request["environmentId"]
    try:
        services.environment_remove(environment_id=environment_id)
    except ServiceError as exc:
        raise ActionFailed(exc.message) from None
    ctx.log(f"removed the definition of {environment_id}")
    return {"environmentId": environment_id}
