"""API basics that need no vCenter: authentication, errors, the schema, task listing."""

import pytest
from rest_framework.test import APIClient

import tests.lifecycle.operations  # noqa: F401
from lifecycle.engine import services


@pytest.mark.django_db
def test_token_login_refuses_a_wrong_password_with_a_field_error(django_user_model):
    django_user_model.objects.create_user(username="ops", password="ops-password-1")
    answer = APIClient().post("/api/v1/auth/token", {"username": "ops", "password": "nope"}, format="json")
    assert answer.status_code == 400
    assert answer.json()["errors"] == {"password": ["wrong username or password"]}


@pytest.mark.django_db
def test_requests_without_a_valid_token_are_refused_with_401():
    client = APIClient()
    assert client.get("/api/v1/tasks").status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Bearer forged")
    answer = client.get("/api/v1/tasks")
    assert answer.status_code == 401 and "log in again" in answer.json()["message"]


@pytest.mark.django_db
def test_expired_tokens_are_refused(api):
    from lifecycle.engine.models import ApiToken

    ApiToken.objects.update(expires_at="2000-01-01T00:00:00Z")
    assert api.get("/api/v1/about").status_code == 401


@pytest.mark.django_db
def test_about_and_schema(api):
    assert api.get("/api/v1/about").json()["name"] == "Provider Lifecycle Manager"
    schema = api.get("/api/v1/schema", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert "/api/v1/datacenters/{componentName}" in schema.content.decode()


@pytest.mark.django_db
def test_unknown_objects_answer_404_in_json(api):
    assert api.get("/api/v1/tasks/999999").json()["message"] == "task 999999 does not exist"
    assert api.get("/api/v1/datacenters/nope").status_code == 404
    assert api.post("/api/v1/datacenters/nope/discover").json()["message"] == "no datacenter component named 'nope'"


@pytest.mark.django_db
def test_task_list_filters(api):
    for name in ("a", "b"):
        services.task_create(
            operation="test.steps", target_type="test", target_name=name, target_key=f"test:{name}", request={}
        )
    assert api.get("/api/v1/tasks").json()["count"] == 2
    only_b = api.get("/api/v1/tasks", {"targetName": "b", "status": "NOT_STARTED", "operation": "test.steps"}).json()
    assert [t["target"]["name"] for t in only_b["results"]] == ["b"]
    bad = api.get("/api/v1/tasks", {"status": "DONE"})
    assert bad.status_code == 400 and "status" in bad.json()["errors"]
    assert bad.json()["message"].startswith("status: must be one of NOT_STARTED, IN_PROGRESS")
    # The same filters as the task page: an operation that does not exist is refused, not an empty list.
    unknown = api.get("/api/v1/tasks", {"operation": "no.such"})
    assert unknown.status_code == 400 and list(unknown.json()["errors"]) == ["operation"]


@pytest.mark.django_db
def test_cancel_and_restart_answer_conflicts_in_json(api):
    task = services.task_create(
        operation="test.steps", target_type="test", target_name="c", target_key="test:c", request={}
    )
    assert api.post(f"/api/v1/tasks/{task.pk}/restart").status_code == 409
    assert api.post(f"/api/v1/tasks/{task.pk}/cancel").status_code == 202
    assert api.post(f"/api/v1/tasks/{task.pk}/cancel").status_code == 409
    bad_mode = api.post(f"/api/v1/tasks/{task.pk}/restart", {"mode": "SOMETIME"}, format="json")
    assert bad_mode.status_code == 400 and "mode" in bad_mode.json()["errors"]
