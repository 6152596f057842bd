"""The task engine, end to end: real worker processes, a real broker, the test database."""

import json
import threading
import time

import pytest
from django.db import connection, transaction

import tests.lifecycle.operations  # noqa: F401  (registers the test operations in this process too)
from lifecycle.engine import runner, services
from lifecycle.engine.models import Action, Status, Task
from lifecycle.errors import Conflict, ValidationFailed
from tests.helpers import action_wait, task_wait

pytestmark = [pytest.mark.worker]


@pytest.fixture
def own_queue():
    """Send this test's messages to a queue only its own workers consume (not the session's worker)."""
    from lifecycle.project import celery_app

    default = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue = default + "-own"
    yield queue
    celery_app.conf.task_default_queue = default


def _create(operation="test.steps", key="test:a", **request):
    return services.task_create(
        operation=operation, target_type="test", target_name=key.split(":")[-1], target_key=key, request=request
    )


def _actions(task, attempt=None):
    rows = Action.objects.filter(task=task).order_by("attempt", "position")
    if attempt:
        rows = rows.filter(attempt=attempt)
    return {(a.attempt, a.name, a.item): a for a in rows}


@pytest.mark.django_db(transaction=True)
def test_task_runs_every_action_in_order_and_masks_secrets(worker):
    task = _create(sleep=0.2, password="s3cret-value", label="demo")
    done = task_wait(task.pk)
    assert done.status == Status.SUCCESS, done.message
    actions = list(done.actions.order_by("position"))
    assert [a.name for a in actions] == ["first", "slow", "maybe_fail"]
    assert all(a.status == Status.SUCCESS and a.progress == 100 for a in actions)
    assert actions[0].started_at <= actions[0].finished_at <= actions[1].started_at <= actions[2].started_at
    assert actions[2].result == {"first": {"started": True}}  # results pass between actions
    assert "s3cret-value" not in actions[0].log and "********" in actions[0].log
    assert done.request["password"] == "$encrypted$"
    with connection.cursor() as cursor:
        cursor.execute("SELECT request, request_secrets FROM lifecycle_task WHERE id = %s", [task.pk])
        raw = " ".join(str(v) for v in cursor.fetchone())
    assert "s3cret-value" not in raw


@pytest.mark.django_db(transaction=True)
def test_failed_action_fails_the_task_and_restart_with_corrected_input_resumes(worker):
    task = _create(fail=True, password="pw-123456")
    failed = task_wait(task.pk)
    assert failed.status == Status.ERROR
    assert failed.message.startswith("Step that may fail: the input says fail")
    assert "pw-123456" not in failed.message  # secrets are redacted from messages too
    first_run = _actions(failed)
    assert first_run[(1, "maybe_fail", "")].status == Status.ERROR

    with pytest.raises(ValidationFailed) as refused:
        services.task_restart(task_id=task.pk, request={"sleep": "soon", "password": "$encrypted$"})
    assert refused.value.errors == {"sleep": ["must be a number of seconds"]}

    services.task_restart(task_id=task.pk, request={"fail": False, "password": "$encrypted$"})
    done = task_wait(task.pk)
    assert done.status == Status.SUCCESS, done.message
    assert done.attempt == 2
    rows = _actions(done)
    # Only the failed action ran again; the first attempt's record is kept as it was.
    assert [(a, n) for (a, n, _) in rows] == [(1, "first"), (1, "slow"), (1, "maybe_fail"), (2, "maybe_fail")]
    assert rows[(1, "maybe_fail", "")].status == Status.ERROR
    assert rows[(2, "maybe_fail", "")].status == Status.SUCCESS
    assert done.request == {"fail": False, "password": "$encrypted$"}
    assert "pw-123456" in json.loads(Task.objects.get(pk=task.pk).request_secrets).values()  # kept


@pytest.mark.django_db(transaction=True)
def test_resume_from_checkpoint_reruns_everything_after_it(worker):
    task = _create(fail=True)
    task_wait(task.pk)
    services.task_restart(task_id=task.pk, mode="CHECKPOINT", request={"fail": False})
    done = task_wait(task.pk)
    assert done.status == Status.SUCCESS
    assert sorted(n for (a, n, _) in _actions(done, attempt=2)) == ["maybe_fail", "slow"]


@pytest.mark.django_db(transaction=True)
def test_cancel_stops_the_running_action_at_a_safe_point_and_restart_continues(worker):
    task = _create(sleep=20)
    action_wait(task.pk, "slow", Status.IN_PROGRESS)
    started = time.monotonic()
    services.task_cancel(task_id=task.pk)
    cancelled = task_wait(task.pk, timeout=10)
    assert time.monotonic() - started < 5
    assert cancelled.status == Status.CANCELLED
    rows = _actions(cancelled)
    assert rows[(1, "first", "")].status == Status.SUCCESS
    assert rows[(1, "slow", "")].status == Status.CANCELLED
    assert rows[(1, "maybe_fail", "")].status == Status.NOT_STARTED
    with pytest.raises(Conflict):
        services.task_cancel(task_id=task.pk)
    services.task_restart(task_id=task.pk, request={"sleep": 0})
    assert task_wait(task.pk).status == Status.SUCCESS
    assert sorted(n for (a, n, _) in _actions(cancelled, attempt=2)) == ["maybe_fail", "slow"]


@pytest.mark.django_db(transaction=True)
def test_cancel_of_a_waiting_task_ends_it_at_once_and_releases_the_next(worker):
    blocker = _create(sleep=1.5, key="test:q")
    waiting = _create(key="test:q")
    after = _create(key="test:q")
    assert sorted(after.preceding_tasks.values_list("pk", flat=True)) == [blocker.pk, waiting.pk]
    services.task_cancel(task_id=waiting.pk)
    assert Task.objects.get(pk=waiting.pk).status == Status.CANCELLED
    assert task_wait(after.pk).status == Status.SUCCESS
    assert Task.objects.get(pk=after.pk).started_at >= Task.objects.get(pk=blocker.pk).finished_at


@pytest.mark.django_db(transaction=True)
def test_tasks_on_one_object_queue_and_on_different_objects_run_in_parallel(worker):
    parent = _create(sleep=1.0, key="env:e1")
    child = _create(sleep=1.0, key="env:e1/product:p1")  # a product inside that environment
    other = _create(sleep=1.0, key="env:e2")
    assert [t.pk for t in child.preceding_tasks.all()] == [parent.pk]
    assert not other.preceding_tasks.exists()
    assert Task.objects.get(pk=child.pk).status == Status.NOT_STARTED
    for t in (parent, child, other):
        assert task_wait(t.pk).status == Status.SUCCESS
    parent, child, other = (Task.objects.get(pk=t.pk) for t in (parent, child, other))
    assert child.started_at >= parent.finished_at  # never at once
    assert other.started_at < parent.finished_at  # in parallel


@pytest.mark.django_db(transaction=True)
def test_actions_of_one_stage_run_in_parallel_and_restart_skips_finished_nodes(worker):
    task = _create("test.nodes", key="test:n", nodes=["n1", "n2", "n3"], node_sleep=1.0, failing_nodes=["n2"])
    failed = task_wait(task.pk)
    assert failed.status == Status.ERROR
    assert "node n2 failed" in failed.message
    nodes = [a for a in failed.actions.all() if a.name == "node"]
    assert [a.item for a in nodes] == ["n1", "n2", "n3"]
    assert {a.stage for a in nodes} == {2}
    # The three nodes overlapped in time: together they took far less than three single ones.
    assert max(a.started_at for a in nodes) < min(a.finished_at for a in nodes)
    assert not Action.objects.filter(task=task, name="last").exclude(status=Status.NOT_STARTED).exists()

    services.task_restart(task_id=task.pk, request={"nodes": ["n1", "n2", "n3"], "node_sleep": 0.1})
    done = task_wait(task.pk)
    assert done.status == Status.SUCCESS, done.message
    second = _actions(done, attempt=2)
    assert sorted(second) == [(2, "last", ""), (2, "node", "n2")]


@pytest.mark.django_db(transaction=True)
def test_an_action_with_a_bug_fails_with_a_plain_message_and_the_traceback_in_its_log(worker):
    task = _create("test.bug", key="test:bug")
    failed = task_wait(task.pk)
    assert failed.status == Status.ERROR
    action = failed.actions.get()
    assert action.message == "unexpected error: RuntimeError: a bug in an action"
    assert "Traceback" in action.log


@pytest.mark.django_db(transaction=True)
def test_a_secret_in_an_unexpected_error_reaches_neither_the_task_nor_the_worker_log(worker):
    task = _create("test.bug", key="test:leak", password="leaky-secret-42")
    failed = task_wait(task.pk)
    action = failed.actions.get()
    assert action.message == "unexpected error: RuntimeError: a bug that shows the secret ********"
    assert "leaky-secret-42" not in action.log
    time.sleep(0.5)  # the worker's log handler writes after the row
    log = worker.log_path.read_text()
    assert f"of task {task.pk} failed unexpectedly" in log and "leaky-secret-42" not in log


@pytest.mark.django_db(transaction=True)
def test_a_redelivered_message_never_runs_an_action_twice(worker):
    from lifecycle.engine import tasks

    task = _create(sleep=1.0, key="test:dup")
    slow = action_wait(task.pk, "slow", Status.IN_PROGRESS)
    for _ in range(3):  # what a broker redelivery or a duplicated publish looks like to the worker
        tasks.action_run.delay(slow.pk)
        tasks.task_begin.delay(task.pk)
    done = task_wait(task.pk)
    assert done.status == Status.SUCCESS
    time.sleep(1.0)  # let the duplicates reach the worker
    for action in done.actions.all():
        tasks.action_run.delay(action.pk)  # and again after the fact
    time.sleep(1.0)
    rows = list(Task.objects.get(pk=task.pk).actions.all())
    assert [a.log.count("slow step running") for a in rows if a.name == "slow"] == [1]
    assert sum(a.log.count("checking the input") for a in rows) == 1
    assert Task.objects.get(pk=task.pk).attempt == 1


@pytest.mark.django_db(transaction=True)
def test_of_two_claims_at_the_same_moment_only_one_wins(own_queue):
    """When two actions of a stage end together, both workers' task_advance send the next action: two
    workers claim it at once. The second claim waits on the first's row lock and must then see the action
    taken (PostgreSQL re-checks only the UPDATE's plain conditions, not those in a sub-select)."""
    task = _create(key="test:race")  # no worker consumes own_queue: the test plays both workers
    Task.objects.filter(pk=task.pk).update(status=Status.IN_PROGRESS)
    action = Action.objects.filter(task=task).order_by("position").first()
    first_claimed, claims = threading.Event(), {}

    def first_worker():
        try:
            with transaction.atomic():
                claims["first"] = runner.action_claim(action.pk)
                first_claimed.set()
                time.sleep(0.5)  # the second claim starts meanwhile and waits for this commit
        finally:
            first_claimed.set()
            connection.close()

    thread = threading.Thread(target=first_worker)
    thread.start()
    assert first_claimed.wait(10)
    claims["second"] = runner.action_claim(action.pk)
    thread.join()
    assert claims == {"first": True, "second": False}
    assert Action.objects.get(pk=action.pk).status == Status.IN_PROGRESS


def _holding(step, held: threading.Event, seconds: float = 0.5) -> threading.Thread:
    """Another worker: runs `step` in a transaction and commits `seconds` after `held` is set. What it
    raised is in the thread's `errors`."""

    def run():
        try:
            with transaction.atomic():
                step()
                held.set()
                time.sleep(seconds)
        except Exception as exc:
            thread.errors.append(exc)
        finally:
            held.set()
            connection.close()

    thread = threading.Thread(target=run)
    thread.errors = []
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first", ["claim", "advance"])
def test_a_claim_and_the_task_ending_take_turns(own_queue, first):
    """Node a failed while node b's message waited. One worker claims b as another ends the task for a's
    failure: either b runs and the task ends after it, or the task ends and b never runs; never b running
    in an ended task (a restart would run it a second time beside itself)."""
    task = _create(operation="test.nodes", key="test:turns", nodes=["a", "b"])
    Task.objects.filter(pk=task.pk).update(status=Status.IN_PROGRESS)
    Action.objects.filter(task=task, name="first").update(status=Status.SUCCESS)
    Action.objects.filter(task=task, name="node", item="a").update(status=Status.ERROR, message="node a failed")
    b = Action.objects.get(task=task, name="node", item="b")
    held, outcome = threading.Event(), {}
    if first == "claim":
        thread = _holding(lambda: outcome.update(claimed=runner.action_claim(b.pk)), held)
        assert held.wait(10)
        runner.task_advance(task.pk)  # waits for the claim to commit, then sees b running
    else:
        thread = _holding(lambda: runner.task_advance(task.pk), held)
        assert held.wait(10)
        outcome["claimed"] = runner.action_claim(b.pk)  # waits for the ending to commit, then finds the task ended
    thread.join()
    assert not thread.errors
    task.refresh_from_db()
    b.refresh_from_db()
    if first == "claim":
        assert (outcome["claimed"], b.status, task.status) == (True, Status.IN_PROGRESS, Status.IN_PROGRESS)
    else:
        assert (outcome["claimed"], b.status, task.status) == (False, Status.NOT_STARTED, Status.ERROR)
        assert task.message == "Deploy node (a): node a failed"


@pytest.mark.django_db(transaction=True)
def test_a_claim_that_finds_its_task_cancelled_leaves_the_action_and_ends_the_task(own_queue):
    """The cancel looked while the action was claimed, so it left the ending to that action; the claim,
    finding the cancel, undoes itself and ends the task."""
    task = _create(operation="test.nodes", key="test:cancelled", nodes=["a", "b"])
    Task.objects.filter(pk=task.pk).update(status=Status.IN_PROGRESS, cancel_requested=True)
    Action.objects.filter(task=task, name__in=["first", "node"], item__in=["", "a"]).update(status=Status.SUCCESS)
    b = Action.objects.get(task=task, name="node", item="b")
    assert runner.action_claim(b.pk) is False
    b.refresh_from_db()
    assert (b.status, b.worker, b.started_at) == (Status.NOT_STARTED, "", None)
    task.refresh_from_db()
    assert (task.status, task.message) == (Status.CANCELLED, "cancelled by the user")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no table locks: its transactions take turns")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("step", ["claim", "advance"])
def test_the_engine_locks_tables_in_the_order_a_flush_does(own_queue, step):
    """A test database's flush (TRUNCATE) locks tables in some order (here: actions, then tasks), and so may a
    migration. The engine must never hold one table while it waits for another, or a worker finishing a
    task as a test ends deadlocks with the flush (seen in a run of the suite: the flush failed and the next
    test found the last one's tasks)."""
    task = _create(operation="test.nodes", key="test:order", nodes=["a", "b"])
    Task.objects.filter(pk=task.pk).update(status=Status.IN_PROGRESS)
    Action.objects.filter(task=task, name="first").update(status=Status.SUCCESS)
    b = Action.objects.get(task=task, name="node", item="b")
    locked = threading.Event()

    def flush_like():
        with connection.cursor() as cursor:
            cursor.execute('LOCK TABLE "lifecycle_action" IN ACCESS EXCLUSIVE MODE')
            locked.set()
            time.sleep(0.5)  # meanwhile the engine starts its transaction and waits for the action table
            cursor.execute('LOCK TABLE "lifecycle_task" IN ACCESS EXCLUSIVE MODE')

    thread = _holding(flush_like, locked, seconds=0)
    assert locked.wait(10)
    if step == "claim":
        assert runner.action_claim(b.pk)
    else:
        runner.task_advance(task.pk)  # a and b are pending: it sends them
    thread.join()
    assert not thread.errors  # PostgreSQL would have picked one side of a deadlock to fail
    assert Task.objects.get(pk=task.pk).status == Status.IN_PROGRESS


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_action_is_detected_and_the_task_can_be_restarted(worker_factory, own_queue):
    victim = worker_factory("victim", LCM_QUEUE=own_queue)
    task = _create(sleep=60, key="test:kill")
    action_wait(task.pk, "slow", Status.IN_PROGRESS)
    victim.kill()
    # A worker starting on this machine sees that the action's process is gone.
    successor = worker_factory("successor", LCM_QUEUE=own_queue)
    failed = task_wait(task.pk, timeout=20)
    assert failed.status == Status.ERROR
    slow = failed.actions.get(name="slow")
    assert "stopped unexpectedly" in slow.message and "restart the task" in slow.message
    services.task_restart(task_id=task.pk, request={"sleep": 0})
    assert task_wait(task.pk).status == Status.SUCCESS
    successor.stop()


@pytest.mark.django_db
def test_sweep_marks_silent_actions_of_other_machines_and_spares_live_ones(settings):
    from datetime import timedelta

    from django.utils import timezone

    task = _create(key="test:sweep")
    Task.objects.filter(pk=task.pk).update(status=Status.IN_PROGRESS, started_at=timezone.now())
    first, slow, _ = task.actions.order_by("position")
    old = timezone.now() - timedelta(seconds=settings.LCM_HEARTBEAT_TIMEOUT + 5)
    Action.objects.filter(pk=first.pk).update(status=Status.SUCCESS, finished_at=timezone.now())
    Action.objects.filter(pk=slow.pk).update(
        status=Status.IN_PROGRESS, worker="elsewhere/abc:4242", heartbeat_at=timezone.now()
    )
    assert runner.orphans_sweep() == []  # beating recently: alive, wherever it runs
    Action.objects.filter(pk=slow.pk).update(heartbeat_at=old)
    assert runner.orphans_sweep() == [slow.pk]
    slow.refresh_from_db()
    task.refresh_from_db()
    assert slow.status == Status.ERROR and "elsewhere/abc:4242" in slow.message
    assert task.status == Status.ERROR


@pytest.mark.django_db
def test_restart_refuses_a_task_that_did_not_fail():
    task = _create(key="test:r")
    with pytest.raises(Conflict, match="only a failed or cancelled task"):
        services.task_restart(task_id=task.pk)
