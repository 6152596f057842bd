"""The repository through the REST API: list with filters, one file, and a scan run by a real worker."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lifecycle.engine.models import Status
from products.models import RepositoryFile
from tests.helpers import task_wait
from tests.products.ova_factory import good_ova_write

LIST_FIELDS = {
    "id",
    "url",
    "path",
    "productType",
    "kind",
    "size",
    "sha256",
    "status",
    "problem",
    "warnings",
    "manifestVerified",
    "productName",
    "vendor",
    "version",
    "build",
    "deploymentOptions",
    "networks",
    "disks",
    "references",
    "properties",
    "files",
    "modifiedAt",
    "scannedAt",
}
# token lookup, its last-use stamp, the count, the page
LIST_QUERIES = 4


@pytest.mark.django_db
def test_the_list_has_every_file_in_camel_case_without_descriptors(api, scanned):
    answer = api.get("/api/v1/repository", {"pageSize": 500})
    assert answer.status_code == 200
    data = answer.json()
    assert data["count"] == 60 and len(data["results"]) == 60
    by_path = {item["path"]: item for item in data["results"]}
    vcd = by_path["vcd/vcd-10.5.2.ova"]
    assert set(vcd) == LIST_FIELDS
    assert vcd["url"] == f"/api/v1/repository/{vcd['id']}"
    assert (vcd["productType"], vcd["kind"], vcd["status"], vcd["problem"], vcd["manifestVerified"]) == (
        "VCD",
        "OVA",
        "OK",
        "",
        True,
    )
    assert (vcd["productName"], vcd["vendor"], vcd["version"], vcd["build"]) == (
        "VMware Cloud Director",
        "VMware, Inc.",
        "10.5.2",
        "20000002",
    )
    assert [o["id"] for o in vcd["deploymentOptions"]] == ["primary-small", "primary-large", "cell"]
    assert vcd["deploymentOptions"][0] == {
        "id": "primary-small",
        "label": "Primary (small)",
        "description": "Primary (small)",
        "default": True,
    }
    assert [n["name"] for n in vcd["networks"]] == ["Network 1", "Network 2"]
    assert vcd["disks"][0]["capacityBytes"] == 2**30 and vcd["references"][0]["href"] == "vcd-10.5.2-disk1.vmdk"
    password = next(p for p in vcd["properties"] if p["key"] == "vcd.db.password")
    assert password == {
        "key": "vcd.db.password",
        "classId": "",
        "id": "vcd.db.password",
        "instance": "",
        "type": "string",
        "qualifiers": "",
        "defaultValue": "",
        "userConfigurable": True,
        "password": True,
        "label": "Database password",
        "description": "",
        "category": "Network",
        "valuesByDeploymentOption": {},
    }
    assert vcd["size"] == RepositoryFile.objects.get(path="vcd/vcd-10.5.2.ova").size and len(vcd["sha256"]) == 64
    assert vcd["scannedAt"].endswith("Z") and vcd["modifiedAt"].endswith("Z")
    broken = by_path["vcd/truncated.ova"]
    assert broken["status"] == "BROKEN" and broken["problem"].startswith("the OVA is truncated: it ends inside ")
    upgrade = by_path[scanned["upgrade"]]
    assert (upgrade["kind"], upgrade["version"], upgrade["build"]) == ("UPGRADE", "10.5.1", "1234")


@pytest.mark.django_db
def test_the_list_filters_by_product_type_status_and_kind(api, scanned):
    def paths(**params):
        data = api.get("/api/v1/repository", {"pageSize": 500, **params}).json()
        return sorted(item["path"] for item in data["results"])

    assert len(paths(productType="RABBITMQ")) == 10
    assert paths(status="BROKEN") == sorted(scanned["broken"])
    assert paths(productType="VCD", kind="UPGRADE") == [scanned["upgrade"]]
    assert paths(productType="USAGE_METER", status="BROKEN") == ["usage_meter/um-4.9.0/um.ovf"]
    bad = api.get("/api/v1/repository", {"productType": "vcd", "status": "FINE"})
    assert bad.status_code == 400
    assert bad.json()["errors"]["productType"] == [
        "must be one of OVA_APPLIANCE, RABBITMQ, USAGE_METER, VCD, VROPS_TENANT_APP"
    ]
    first = api.get("/api/v1/repository", {"pageSize": 5}).json()
    assert first["count"] == 60 and len(first["results"]) == 5 and first["next"]


@pytest.mark.django_db
def test_one_file_comes_with_its_descriptor_and_a_gone_one_is_404(api, scanned):
    row = RepositoryFile.objects.get(path="vcd/vcd-10.5.2.ova")
    detail = api.get(f"/api/v1/repository/{row.pk}").json()
    assert set(detail) == LIST_FIELDS | {"descriptor"}
    assert detail["descriptor"].startswith('<?xml version="1.0" encoding="UTF-8"?>\n<Envelope')
    missing = api.get("/api/v1/repository/999999")
    assert missing.status_code == 404
    assert missing.json()["message"] == "the repository has no file 999999 (a scan may have removed it)"


@pytest.mark.django_db
def test_the_list_costs_the_same_few_queries_for_sixty_files(api, scanned):
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/v1/repository", {"pageSize": 500}).status_code == 200
    assert len(queries) == LIST_QUERIES, [q["sql"] for q in queries]
    assert not any("descriptor" in q["sql"] for q in queries)


@pytest.mark.django_db
def test_the_schema_documents_the_repository(api):
    schema = api.get("/api/v1/schema", HTTP_ACCEPT="application/json").content.decode()
    for path in ("/api/v1/repository", "/api/v1/repository/scan", "/api/v1/repository/{fileId}"):
        assert f'"{path}"' in schema
    assert "valuesByDeploymentOption" in schema and "userConfigurable" in schema


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_scan_is_accepted_queued_behind_a_running_one_and_fills_the_list(api, repository, worker):
    good_ova_write(repository, "VCD", 7)
    first = api.post("/api/v1/repository/scan")
    assert first.status_code == 202 and set(first.json()) == {"taskId", "precedingTasks"}
    second = api.post("/api/v1/repository/scan").json()
    assert second["precedingTasks"] in ([first.json()["taskId"]], [])  # [] only if the first had already ended
    for task_id in (first.json()["taskId"], second["taskId"]):
        task = task_wait(task_id)
        assert task.status == Status.SUCCESS, task.message
        assert (task.operation, task.target_type, task.target_name) == ("repository.scan", "repository", "repository")
        assert task.created_by.username == "ops"
    listed = api.get("/api/v1/repository").json()
    assert [(f["path"], f["status"]) for f in listed["results"]] == [("vcd/vcd-10.5.7.ova", "OK")]
    detail = api.get(f"/api/v1/tasks/{first.json()['taskId']}").json()
    assert [s["name"] for s in detail["subTasks"]] == ["directory_check", "files_scan"]
    assert detail["subTasks"][1]["message"] == "1 file: 1 usable, 0 broken"
