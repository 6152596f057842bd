"""Helpers for tests that watch tasks run in a real worker, and a browser that remembers its pages."""
import time
from collections.abc import Callable

from lifecycle.engine.models import Status, Task


def task_wait(task_id: int, *, timeout: float = 60, status: tuple[str, ...] = Status.finished()) -> Task:
    """Poll the database (as the pages do) until the task reaches one of `status`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = Task.objects.get(pk=task_id)
        if task.status in status:
            return task
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} is still {task.status} after {timeout}s:\n{task_story(task)}")


def task_story(task: Task) -> str:
    """Every action of the task's attempts with its status, message and log: what a failing test shows."""
    return "\n".join(f"  {a.name} {a.item} (attempt {a.attempt}) {a.status}: {a.message}\n{a.log}"
                     for a in task.actions.order_by("attempt", "position"))


def action_wait(task_id: int, name: str, status: "str | Callable", *, timeout: float = 30):
    """The first action of that name in the task's latest attempt that reached `status` (or for which
    `status(action)` holds)."""
    from lifecycle.engine.models import Action

    matches = status if callable(status) else (lambda action: action.status == status)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        latest = Action.objects.filter(task_id=task_id).order_by("-attempt").values_list("attempt", flat=True).first()
        for action in Action.objects.filter(task_id=task_id, name=name, attempt=latest).order_by("position"):
            if matches(action):
                return action
        time.sleep(0.02)
    raise AssertionError(f"action {name} of task {task_id} never reached {status}")


class Pages:
    """A logged-in browser that keeps every page it was shown, to check none shows a secret."""

    def __init__(self, client):
        self.client = client
        self.seen: list[str] = []

    def get(self, url, data=None, **extra):
        return self._keep(self.client.get(url, data, **extra))

    def post(self, url, data=None, **extra):
        return self._keep(self.client.post(url, data, **extra))

    def _keep(self, response):
        if not getattr(response, "streaming", False):
            self.seen.append(response.content.decode())
        return response

    def assert_never_shown(self, *secrets: str) -> None:
        assert self.seen
        for secret in secrets:
            assert not any(secret in page for page in self.seen), secret
