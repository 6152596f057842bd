"""What other parts ask of the repository: deployable versions, the file for a version; and the admin."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from products.models import RepositoryFile
from products.selectors import repository_file_for, repository_versions, version_key


def _file(path, version, *, product_type="VCD", kind="OVA", status="OK", scanned_ago=0, mtime=0.0):
    return RepositoryFile.objects.create(
        product_type=product_type,
        path=path,
        kind=kind,
        size=1,
        mtime=mtime,
        status=status,
        version=version,
        scanned_at=timezone.now() - timedelta(minutes=scanned_ago),
    )


@pytest.mark.django_db
def test_versions_are_the_usable_deployable_ones_in_numeric_order():
    _file("vcd/a.ova", "10.9.1")
    _file("vcd/b.ova", "10.10.0")
    _file("vcd/c/c.ovf", "10.4.2", kind="OVF")
    _file("vcd/d.ova", "10.4.2")  # the same version twice: listed once
    _file("vcd/broken.ova", "11.0.0", status="BROKEN")
    _file("vcd/upgrades/u.tar.gz", "12.0.0", kind="UPGRADE")
    _file("vcd/noversion.ova", "")
    _file("rabbitmq/r.ova", "3.8.14", product_type="RABBITMQ")
    assert repository_versions(product_type="VCD") == ["10.4.2", "10.9.1", "10.10.0"]
    assert repository_versions(product_type="USAGE_METER") == []
    assert repository_file_for(product_type="VCD", version="11.0.0") is None
    assert repository_file_for(product_type="VCD", version="12.0.0") is None
    assert repository_file_for(product_type="RABBITMQ", version="3.8.14").path == "rabbitmq/r.ova"


@pytest.mark.django_db
def test_of_two_files_of_one_version_the_newest_scan_then_the_newest_file_wins():
    _file("vcd/old-scan.ova", "10.5.1", scanned_ago=10, mtime=50)
    _file("vcd/older-file.ova", "10.5.1", mtime=10)
    _file("vcd/newer-file.ova", "10.5.1", mtime=20)
    assert repository_file_for(product_type="VCD", version="10.5.1").path == "vcd/newer-file.ova"


def test_version_key_orders_numbers_as_numbers():
    assert sorted(["10.10", "10.9", "10.9.1", "2.0-beta", "2.0"], key=version_key) == [
        "2.0",
        "2.0-beta",
        "10.9",
        "10.9.1",
        "10.10",
    ]


@pytest.mark.django_db
def test_the_admin_shows_repository_files_read_only(admin_client):
    row = _file("vcd/a.ova", "10.5.1")
    for url in (
        reverse("admin:products_repositoryfile_changelist"),
        reverse("admin:products_repositoryfile_change", args=[row.pk]),
        reverse("admin:products_interopbundle_changelist"),
    ):
        answer = admin_client.get(url)
        assert answer.status_code == 200, url
        assert 'name="_save"' not in answer.content.decode()
    assert admin_client.get(reverse("admin:products_repositoryfile_add")).status_code == 403
