"""The repository pages: binaries per product type, broken files, one file's properties, "Scan now"."""

import html
import re
import shutil

import pytest
from django.conf import settings
from django.urls import reverse

from lifecycle.engine.models import Status, Task
from products.models import RepositoryFile
from products.types import product_types
from tests.helpers import task_wait
from tests.products.ova_factory import good_ova_write

# session, user, the files, the newest scan task, the newest scan result
LIST_QUERIES = 5


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _pane(page: str, code: str) -> str:
    start = page.index(f'id="pane-{code}"')
    end = page.find('class="tab-pane', start + 1)
    return page[start : end if end != -1 else len(page)]


@pytest.mark.django_db
def test_the_list_shows_usable_binaries_per_product_type_and_broken_files_apart(
    admin_client, scanned, django_assert_num_queries
):
    with django_assert_num_queries(LIST_QUERIES):
        response = admin_client.get(reverse("repository-list"))
    assert response.status_code == 200
    page = _text(response)
    assert str(settings.LCM_REPOSITORY_DIR) in page
    assert f'action="{reverse("repository-scan")}"' in page and "Scan now" in page
    for product_type in product_types():
        assert f'id="tab-{product_type.code}"' in page and product_type.title in page
    assert '<a class="nav-link active" href="/repository/">Repository</a>' in response.content.decode()

    vcd = _pane(page, "VCD")
    row = RepositoryFile.objects.get(path="vcd/vcd-10.5.2.ova")
    assert f'href="{reverse("repository-file", args=[row.pk])}">vcd/vcd-10.5.2.ova</a>' in vcd
    assert "Primary (small) (default)" in vcd and "Network 1, Network 2" in vcd and "verified" in vcd
    assert vcd.index("10.6.0") < vcd.index("10.5.9") < vcd.index(">10.5.2<")  # newest first
    assert "VMware_Cloud_Director_10.5.1.1234-upgrade.tar.gz" in vcd  # the upgrade packages' table
    assert "vcd/corrupt.ova" not in vcd  # broken files are in their own table
    assert "vcd/vcd-10.5.2.ova" not in _pane(page, "RABBITMQ")

    broken = page[page.index('id="broken-files"') :]
    for path, problem in scanned["broken"].items():
        assert path in broken and problem in broken, path
    assert "VMware Cloud Director" in broken and "vCloud Usage Meter" in broken


@pytest.mark.django_db
def test_an_empty_repository_page_says_what_to_do(admin_client, repository):
    page = _text(admin_client.get(reverse("repository-list")))
    assert "never: scan to list what the directory holds" in page
    assert "No usable VMware Cloud Director OVA or OVF in <code>vcd/</code>." in page


@pytest.mark.django_db
def test_one_file_shows_its_properties_options_networks_disks_and_descriptor(admin_client, scanned):
    row = RepositoryFile.objects.get(path="vcd/vcd-10.5.2.ova")
    raw = admin_client.get(reverse("repository-file", args=[row.pk])).content.decode()
    page = html.unescape(raw)
    assert "VMware Cloud Director 10.5.2" in page and "build 20000002" in page and row.sha256 in page
    properties = page[page.index('id="properties"') :]
    assert len(re.findall(r"<tr>", properties)) == len(row.properties) + 1
    assert "<code>vami.ip0.VMware_vCloud_Director</code>" in properties
    db_password = properties[properties.index("<code>vcd.db.password</code>") :].split("</tr>")[0]
    assert "(hidden)" in db_password and "Database password" in db_password
    fixed = properties[properties.index("<code>appliance.build</code>") :].split("</tr>")[0]
    assert ">no<" in fixed and "fixed" in fixed
    assert "<code>primary-small</code> <span" in page and "Primary (large)" in page
    assert "Network 2" in page and "1.0\xa0GB" in page
    assert "The OVF descriptor" in page and "&lt;ProductSection" in raw  # shown as text, escaped
    assert f"{row.user_configurable_count} can be set at deployment" in page


@pytest.mark.django_db
def test_a_broken_file_shows_its_problem_and_an_unknown_one_is_404(admin_client, scanned):
    row = RepositoryFile.objects.get(path="vcd/wrong-manifest.ova")
    page = _text(admin_client.get(reverse("repository-file", args=[row.pk])))
    assert 'id="problem"' in page and "manifest: SHA256 of wrong.ovf does not match (expected 0000" in page
    assert admin_client.get(reverse("repository-file", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_the_pages_need_a_login(client):
    for url in (reverse("repository-list"), reverse("repository-file", args=[1])):
        assert client.get(url).status_code == 302
    assert client.post(reverse("repository-scan")).status_code == 302
    assert not Task.objects.exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_scan_now_creates_a_task_and_the_list_then_shows_its_result(admin_client, admin_user, repository, worker):
    good_ova_write(repository, "RABBITMQ", 14)
    shutil.rmtree(repository / "vrops_tenant_app")
    assert admin_client.get(reverse("repository-scan")).status_code == 405  # a change is a POST
    response = admin_client.post(reverse("repository-scan"))
    task = Task.objects.get()
    assert response.status_code == 302 and response.url == reverse("task-detail", args=[task.pk])
    assert (task.operation, task.created_by) == ("repository.scan", admin_user)
    assert task_wait(task.pk).status == Status.SUCCESS

    page = _text(admin_client.get(reverse("repository-list")))
    last = page[page.index('id="last-scan"') :]
    assert f">task {task.pk}</a>" in last and "Success" in last
    assert "1 file: 1 usable, 0 broken (no directory vrops_tenant_app/)" in last
    assert "missing in the last scan" in _pane(page, "VROPS_TENANT_APP")
    assert "missing in the last scan" not in _pane(page, "RABBITMQ") and "rabbitmq/rabbitmq-3.8.14.ova" in page
