"""Helpers for tests that watch tasks run in a real worker."""
import time

from lifecycle.models import Status, Task


def task_wait(task_id: int, *, timeout: float = 60, status: tuple[str, ...] = Status.finished()) -> Task:
    """Poll the database (as the pages do) until the task reaches one of `status`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = Task.objects.get(pk=task_id)
        if task.status in status:
            return task
        time.sleep(0.05)
    actions = list(Task.objects.get(pk=task_id).actions.values_list("title", "status", "message"))
    raise AssertionError(f"task {task_id} is still {task.status} after {timeout}s: {actions}")


def action_wait(task_id: int, name: str, status: str, *, timeout: float = 30):
    from lifecycle.models import Action

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        action = Action.objects.filter(task_id=task_id, name=name).order_by("-attempt").first()
        if action and action.status == status:
            return action
        time.sleep(0.05)
    raise AssertionError(f"action {name} of task {task_id} never reached {status}")
