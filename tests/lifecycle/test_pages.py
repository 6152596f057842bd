"""The task pages: the list, a task's timeline and its htmx poll, cancel and restart."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import HTMX_STOP_POLLING

import tests.lifecycle.operations  # noqa: F401  (registers the test operations in this process too)
from lifecycle.engine import services
from lifecycle.engine.models import Action, Status, Task
from lifecycle.project.version import version_info
from tests.helpers import action_wait, task_wait

HTMX = {"HTTP_HX_REQUEST": "true"}
# The poll: session, user, then the task, its actions and the tasks it waits for (selectors.task_get).
POLL_QUERIES = 5
# The list: session, user, the count for the paginator, one page of tasks with their creators.
LIST_QUERIES = 4


def _create(target="t1", operation="test.steps", **request):
    return services.task_create(
        operation=operation,
        target_type="test",
        target_name=target,
        target_key=f"test:{target}",
        request={"sleep": 0, **request},
    )


def _fail(task: Task) -> None:
    """Leave the task as the engine leaves one whose last action failed."""
    now = timezone.now()
    Action.objects.filter(task=task, name__in=["first", "slow"]).update(
        status=Status.SUCCESS,
        progress=100,
        started_at=now - timedelta(seconds=3),
        finished_at=now - timedelta(seconds=1),
        log="first step of the test\n",
    )
    Action.objects.filter(task=task, name="maybe_fail").update(
        status=Status.ERROR, started_at=now - timedelta(seconds=1), finished_at=now, message="the input says fail"
    )
    Task.objects.filter(pk=task.pk).update(
        status=Status.ERROR,
        started_at=now - timedelta(seconds=3),
        finished_at=now,
        message="Step that may fail: the input says fail",
    )


def _detail(task) -> str:
    return reverse("task-detail", args=[task.pk])


@pytest.mark.django_db
def test_pages_ask_for_a_login_first(client):
    task = _create()
    for url in (reverse("home"), reverse("task-list"), _detail(task)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login") + "?next=")
    poll = client.get(_detail(task), **HTMX)  # the session ended while the page polled
    assert poll.status_code == 200 and poll["HX-Redirect"] == f"{reverse('login')}?next={_detail(task)}"
    assert poll.content == b""
    response = client.post(reverse("task-cancel", args=[task.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert Task.objects.get(pk=task.pk).status == Status.NOT_STARTED


@pytest.mark.django_db
def test_login_page_logs_in_and_the_navbar_shows_the_user(client, django_user_model):
    django_user_model.objects.create_user(username="olga", password="a-long-password-1")
    page = client.get(reverse("login"))
    assert page.status_code == 200 and 'name="password"' in page.content.decode()
    response = client.post(reverse("login"), {"username": "olga", "password": "a-long-password-1"}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("task-list")
    assert "olga" in html and "Log out" in html
    assert reverse("admin:index") not in html  # not staff
    logout = client.post(reverse("logout"))
    assert logout.status_code == 302 and client.get(reverse("task-list")).status_code == 302


@pytest.mark.django_db
def test_task_list_shows_tasks_and_filters_them(admin_client, django_assert_num_queries):
    steps = _create("alpha")
    bug = _create("beta", operation="test.bug")
    failed = _create("gamma")
    _fail(failed)

    with django_assert_num_queries(LIST_QUERIES):
        response = admin_client.get(reverse("task-list"))
    html = response.content.decode()
    assert [t.pk for t in response.context["page_obj"]] == [failed.pk, bug.pk, steps.pk]
    assert "Engine test: steps" in html and "Engine test: an action with a bug" in html
    assert 'badge text-bg-danger">Error' in html and 'badge text-bg-secondary">Not started' in html
    assert "admin" in html  # created by / the user in the navbar

    def shown(**filters):
        page = admin_client.get(reverse("task-list"), filters)
        assert page.status_code == 200
        return [t.pk for t in page.context["page_obj"]]

    assert shown(status="ERROR") == [failed.pk]
    assert shown(operation="test.bug") == [bug.pk]
    assert shown(target="alpha") == [steps.pk]
    assert shown(status="NOT_STARTED", operation="test.steps") == [steps.pk]
    assert shown(target="nobody") == []
    assert (
        "No tasks match these filters" in admin_client.get(reverse("task-list"), {"target": "nobody"}).content.decode()
    )
    # A wrong value is shown under its field, with what it may be (the API answers 400 with the same words).
    refused = admin_client.get(reverse("task-list"), {"status": "DONE"})
    assert refused.status_code == 200 and "must be one of NOT_STARTED, IN_PROGRESS" in refused.content.decode()


@pytest.mark.django_db
def test_task_list_paginates_and_keeps_the_filters_in_its_links(admin_client):
    for i in range(30):
        _create(f"n{i}")
    first = admin_client.get(reverse("task-list"), {"status": "NOT_STARTED"})
    assert len(first.context["page_obj"]) == 25
    assert "?status=NOT_STARTED&amp;page=2" in first.content.decode()
    second = admin_client.get(reverse("task-list"), {"status": "NOT_STARTED", "page": 2})
    assert len(second.context["page_obj"]) == 5 and "Page 2 of 2" in second.content.decode()


@pytest.mark.django_db
def test_task_page_shows_every_action_and_polls_while_the_task_runs(admin_client):
    task = _create(password="pw-never-shown")
    html = admin_client.get(_detail(task)).content.decode()
    assert "Engine test: steps" in html
    for title in ("First step", "Slow step", "Step that may fail"):
        assert title in html
    assert html.count('badge text-bg-secondary">Not started') == 4  # the task and its three actions
    assert 'hx-trigger="every 1s"' in html and f'hx-get="{_detail(task)}"' in html
    assert "Cancel is not a rollback" in html and reverse("task-cancel", args=[task.pk]) in html
    assert "View request" in html and "$encrypted$" in html and "pw-never-shown" not in html
    assert "Restart from the failed action" not in html


@pytest.mark.django_db
def test_poll_answers_200_while_running_and_286_once_ended(admin_client, django_assert_num_queries):
    task = _create()
    Task.objects.filter(pk=task.pk).update(status=Status.IN_PROGRESS, started_at=timezone.now())
    Action.objects.filter(task=task, name="first").update(status=Status.IN_PROGRESS, progress=40, log="working\n")

    with django_assert_num_queries(POLL_QUERIES):
        response = admin_client.get(_detail(task), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert not html.lstrip().startswith("<!doctype")  # the partial only
    assert html.lstrip().startswith('<div id="task-timeline"') and 'hx-trigger="every 1s"' in html
    assert 'badge text-bg-primary">In progress' in html and 'style="width: 40%"' in html
    assert "working" in html  # the running action's log

    _fail(task)
    with django_assert_num_queries(POLL_QUERIES):
        response = admin_client.get(_detail(task), **HTMX)
    html = response.content.decode()
    assert response.status_code == HTMX_STOP_POLLING
    assert "hx-trigger" not in html  # the final state replaces the polling element
    assert 'badge text-bg-danger">Error' in html and "Step that may fail: the input says fail" in html
    assert "Restart from the failed action" in html


@pytest.mark.django_db
def test_poll_of_a_task_with_many_actions_and_attempts_stays_cheap(admin_client, django_assert_num_queries):
    task = services.task_create(
        operation="test.nodes",
        target_type="test",
        target_name="n",
        target_key="test:n",
        request={"nodes": [f"node{i}" for i in range(20)]},
    )
    waiting = _create("n")  # waits for the first
    with django_assert_num_queries(POLL_QUERIES):
        response = admin_client.get(_detail(waiting), **HTMX)
    assert f"task {task.pk}</a>" in response.content.decode() and "Waits for" in response.content.decode()
    with django_assert_num_queries(POLL_QUERIES):
        assert admin_client.get(_detail(task), **HTMX).content.decode().count("Deploy node") == 20


@pytest.mark.django_db
def test_cancel_button_cancels_and_a_refused_cancel_shows_why(admin_client):
    task = _create()
    response = admin_client.post(reverse("task-cancel", args=[task.pk]), follow=True)
    html = response.content.decode()
    assert response.redirect_chain == [(_detail(task), 302)]
    assert Task.objects.get(pk=task.pk).status == Status.CANCELLED
    assert "Cancel requested" in html and 'badge text-bg-warning">Cancelled' in html
    assert "hx-trigger" not in html  # ended: no polling

    again = admin_client.post(reverse("task-cancel", args=[task.pk]), follow=True)
    assert again.status_code == 200
    assert "has already ended (cancelled); nothing to cancel" in again.content.decode()
    assert "alert-danger" in again.content.decode()


@pytest.mark.django_db
def test_restart_from_the_failed_action(admin_client):
    task = _create()
    _fail(task)
    html = admin_client.get(_detail(task)).content.decode()
    assert "Restart from the failed action" in html and "Resume from checkpoint" in html
    assert "Edit the request and restart" in html and "Cancel is not a rollback" not in html

    response = admin_client.post(reverse("task-restart", args=[task.pk]), {"mode": "FAILED"}, follow=True)
    html = response.content.decode()
    restarted = Task.objects.get(pk=task.pk)
    assert restarted.attempt == 2 and restarted.status == Status.NOT_STARTED
    assert list(restarted.actions.filter(attempt=2).values_list("name", flat=True)) == ["maybe_fail"]
    assert "restarted from the failed action" in html
    assert "Attempt 1" in html and 'id="attempt-1"' in html and "as of attempt 2" in html
    # One merged timeline: the actions that succeeded before stay in place, the re-run one is marked.
    timeline = html[html.index('<h2 class="h5">Actions') : html.index('id="attempt-1"')]
    assert timeline.index("First step") < timeline.index("Slow step") < timeline.index("Step that may fail")
    assert "attempt 2</span>" in timeline
    assert 'hx-trigger="every 1s"' in html  # unfinished again: the page polls


@pytest.mark.django_db
def test_resume_from_checkpoint(admin_client):
    task = _create()
    _fail(task)
    admin_client.post(reverse("task-restart", args=[task.pk]), {"mode": "CHECKPOINT"})
    assert list(Task.objects.get(pk=task.pk).actions.filter(attempt=2).values_list("name", flat=True)) == [
        "slow",
        "maybe_fail",
    ]


@pytest.mark.django_db
def test_a_refused_restart_shows_the_service_error(admin_client):
    task = _create()  # not failed: the service refuses
    response = admin_client.post(reverse("task-restart", args=[task.pk]), {"mode": "FAILED"}, follow=True)
    assert response.status_code == 200
    assert "only a failed or cancelled task can be restarted" in response.content.decode()
    assert Task.objects.get(pk=task.pk).attempt == 1
    bad_mode = admin_client.post(reverse("task-restart", args=[task.pk]), {"mode": "SIDEWAYS"}, follow=True)
    assert bad_mode.status_code == 200 and "only a failed or cancelled task" in bad_mode.content.decode()


@pytest.mark.django_db
def test_edited_request_that_is_not_json_shows_a_field_error_and_changes_nothing(admin_client):
    task = _create(password="pw-kept-123")
    _fail(task)
    url = reverse("task-restart-edited", args=[task.pk])
    response = admin_client.post(url, {"request": '{"sleep": 0,', "mode": "FAILED"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "not valid JSON" in html and "invalid-feedback" in html and "is-invalid" in html
    assert 'id="edit-request" class="card card-body mt-3" open' in html
    assert "{&quot;sleep&quot;: 0," in html  # what the user typed stays in the field

    not_an_object = admin_client.post(url, {"request": "[1, 2]", "mode": "FAILED"})
    assert "the request must be a JSON object" in not_an_object.content.decode()
    unchanged = Task.objects.get(pk=task.pk)
    assert (unchanged.attempt, unchanged.status, unchanged.request["sleep"]) == (1, Status.ERROR, 0)


@pytest.mark.django_db
def test_edited_request_refused_by_the_service_shows_its_error_at_the_field(admin_client):
    task = _create()
    _fail(task)
    response = admin_client.post(
        reverse("task-restart-edited", args=[task.pk]), {"request": json.dumps({"sleep": "soon"}), "mode": "FAILED"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "sleep: must be a number of seconds" in html and "invalid-feedback" in html
    assert Task.objects.get(pk=task.pk).attempt == 1


@pytest.mark.django_db
def test_edited_request_restarts_with_the_new_input_and_keeps_the_stored_secret(admin_client):
    task = _create(password="pw-kept-123", label="old")
    _fail(task)
    page = admin_client.get(_detail(task)).content.decode()
    assert "pw-kept-123" not in page and "&quot;$encrypted$&quot;" in page

    edited = {"sleep": 0, "password": "$encrypted$", "label": "new"}
    response = admin_client.post(
        reverse("task-restart-edited", args=[task.pk]), {"request": json.dumps(edited), "mode": "FAILED"}
    )
    assert response.status_code == 302 and response.url == _detail(task)
    restarted = Task.objects.get(pk=task.pk)
    assert restarted.attempt == 2 and restarted.request["label"] == "new"
    assert restarted.request["password"] == "$encrypted$"
    assert json.loads(restarted.request_secrets) == {"password": "pw-kept-123"}
    assert "pw-kept-123" not in admin_client.get(_detail(task)).content.decode()


@pytest.mark.django_db
def test_an_operation_without_new_input_offers_no_request_editor(admin_client):
    task = _create("b", operation="test.bug")
    Task.objects.filter(pk=task.pk).update(status=Status.ERROR)
    Action.objects.filter(task=task).update(status=Status.ERROR)
    html = admin_client.get(_detail(task)).content.decode()
    assert "Restart from the failed action" in html
    assert "Edit the request and restart" not in html and "Resume from checkpoint" not in html


@pytest.mark.django_db
def test_unknown_task_is_404(admin_client):
    assert admin_client.get(reverse("task-detail", args=[999999])).status_code == 404
    assert admin_client.get(reverse("task-detail", args=[999999]), **HTMX).status_code == 404
    assert admin_client.post(reverse("task-cancel", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_footer_shows_the_version(admin_client):
    html = admin_client.get(reverse("task-list")).content.decode()
    assert f"Provider Lifecycle Manager {version_info()['version']}" in html and "API v1" in html


@pytest.mark.django_db
def test_templates_reference_only_static_files_that_exist(admin_client, settings, tmp_path):
    """As served: whitenoise's manifest storage refuses a name collectstatic did not collect."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    task = _create()
    _fail(task)
    for url in (reverse("task-list"), _detail(task), reverse("datacenter-list"), reverse("datacenter-register")):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert "/static/css/lcm." in response.content.decode()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_poll_follows_a_task_run_by_a_real_worker(admin_client, worker):
    task = _create(sleep=1.5)
    action_wait(task.pk, "slow", Status.IN_PROGRESS)
    running = admin_client.get(_detail(task), **HTMX)
    assert running.status_code == 200
    assert 'badge text-bg-primary">In progress' in running.content.decode()
    assert "progress-bar-animated" in running.content.decode()
    task_wait(task.pk)
    ended = admin_client.get(_detail(task), **HTMX)
    assert ended.status_code == HTMX_STOP_POLLING
    assert ended.content.decode().count('badge text-bg-success">Success') == 4
