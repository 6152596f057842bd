"""The repository scan: a task run by a real worker over generated OVAs, good and broken, and its cache."""

import hashlib
import shutil
import time

import pytest

from lifecycle.engine.models import Action, Status
from products import selectors, services
from products.models import RepositoryFile
from tests.helpers import task_wait
from tests.products.ova_factory import (
    flip_byte,
    good_ova_write,
    ova_write,
    repository_fill,
    touch_later,
)

OK, BROKEN = RepositoryFile.FileStatus.OK, RepositoryFile.FileStatus.BROKEN
TIMINGS = {}  # seconds per scan, printed at the end of the session (conftest.py)


def scan(*, timeout: float = 120):
    started = time.monotonic()
    task = task_wait(services.repository_scan().pk, timeout=timeout)
    return task, time.monotonic() - started


def files_action(task) -> Action:
    return task.actions.filter(name="files_scan").order_by("-attempt").get()


@pytest.fixture
def filled(repository):
    return repository_fill(repository)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_scan_lists_every_good_file_with_its_descriptor_and_reports_each_bad_one(repository, filled, worker):
    task, TIMINGS["first scan"] = scan()
    assert task.status == Status.SUCCESS, task.message
    action = files_action(task)
    assert action.message == "60 files: 52 usable, 8 broken", action.log
    assert action.progress == 100
    result = action.result
    assert (result["files"], result["usable"], result["broken"], result["unchanged"]) == (60, 52, 8, 0)
    assert result["bytesRead"] > 50 * 8 * 1024
    assert result["ignoredFiles"] == filled["ignored"] and result["missingDirectories"] == []

    rows = {row.path: row for row in RepositoryFile.objects.all()}
    assert set(rows) == {*filled["good"], *filled["broken"], filled["ovf"], filled["upgrade"]}
    for path in filled["good"]:
        row = rows[path]
        assert (row.status, row.problem, row.manifest_verified, row.kind) == (OK, "", True, "OVA"), path
        assert row.sha256 == hashlib.sha256((repository / path).read_bytes()).hexdigest()
    for path, problem in filled["broken"].items():
        assert rows[path].status == BROKEN and problem in rows[path].problem, (path, rows[path].problem)
        assert f"{path}: BROKEN: " in action.log

    vcd = rows["vcd/vcd-10.5.3.ova"]
    assert (vcd.product_type, vcd.product_name, vcd.vendor, vcd.version, vcd.build) == (
        "VCD",
        "VMware Cloud Director",
        "VMware, Inc.",
        "10.5.3",
        "20000003",
    )
    assert [(o["id"], o["label"], o["default"]) for o in vcd.deployment_options] == [
        ("primary-small", "Primary (small)", True),
        ("primary-large", "Primary (large)", False),
        ("cell", "Cell", False),
    ]
    assert [n["name"] for n in vcd.networks] == ["Network 1", "Network 2"]
    assert vcd.disks == [
        {
            "diskId": "vmdisk1",
            "fileRef": "file1",
            "capacity": str(2**30),
            "capacityAllocationUnits": "byte",
            "capacityBytes": 2**30,
            "populatedSize": None,
            "format": "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized",
        }
    ]
    properties = {p["key"]: p for p in vcd.properties}
    assert "vami.ip0.VMware_vCloud_Director" in properties and "vami.DNS.VMware_vCloud_Director" in properties
    assert properties["vcd.db.password"]["password"] is True and properties["vcd.db.password"]["userConfigurable"]
    assert properties["appliance.build"]["userConfigurable"] is False
    assert properties["expire_root_password"]["type"] == "boolean"
    assert (properties["hostname"]["defaultValue"], properties["hostname"]["category"]) == ("tiny", "Network")
    assert "<ProductSection" in vcd.descriptor

    ovf = rows[filled["ovf"]]
    assert (ovf.kind, ovf.status, ovf.manifest_verified, ovf.version, ovf.build) == (
        "OVF",
        OK,
        True,
        "10.6.0",
        "24000000",
    )
    folder = filled["ovf"].rsplit("/", 1)[0]
    assert ovf.files == [f"{folder}/vcd-10.6.0.ovf", f"{folder}/vcd-10.6.0.mf", f"{folder}/vcd-10.6.0-disk1.vmdk"]
    upgrade = rows[filled["upgrade"]]
    assert (upgrade.kind, upgrade.status, upgrade.version, upgrade.build, upgrade.size) == (
        "UPGRADE",
        OK,
        "10.5.1",
        "1234",
        100_000,
    )
    assert upgrade.sha256 == hashlib.sha256((repository / filled["upgrade"]).read_bytes()).hexdigest()

    # One log line per file, and the files that are none of ours.
    for path in rows:
        assert f" {path}: " in action.log, path
    assert "vcd/notes.txt: ignored" in action.log and "vcd-10.6.0-disk1.vmdk: ignored" not in action.log

    # What deployment validation asks.
    assert selectors.repository_versions(product_type="VCD") == [f"10.5.{n}" for n in range(10)] + ["10.6.0"]
    assert selectors.repository_versions(product_type="RABBITMQ")[-1] == "3.8.9"
    assert selectors.repository_file_for(product_type="VCD", version="10.5.3").path == "vcd/vcd-10.5.3.ova"
    assert selectors.repository_file_for(product_type="VCD", version="10.5.90") is None  # the corrupt one
    assert selectors.repository_file_for(product_type="VCD", version="10.5.1.1234") is None  # upgrades are not deployed


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_rescan_reads_nothing_unchanged_and_notices_changed_added_and_deleted_files(repository, filled, worker):
    first, _ = scan()
    assert files_action(first).result["bytesRead"] > 0
    scanned_at = RepositoryFile.objects.get(path="vcd/vcd-10.5.0.ova").scanned_at

    again, TIMINGS["rescan, nothing changed"] = scan()
    action = files_action(again)
    assert action.message == "60 files: 52 usable, 8 broken (60 unchanged since the last scan)"
    assert action.result["bytesRead"] == 0  # not one byte of any file read again
    assert RepositoryFile.objects.get(path="vcd/vcd-10.5.0.ova").scanned_at > scanned_at
    assert "vcd/vcd-10.5.0.ova: unchanged since the last scan" in action.log

    # A good file replaced by a broken one, a broken one fixed, one deleted, a product directory gone,
    # a new file, and an OVF whose disk was copied again (a newer mtime).
    changed = good_ova_write(repository, "VCD", 0, wrong={"vcd-10.5.0-disk1.vmdk": "1" * 64})
    touch_later(changed)
    fixed = ova_write(repository / "vcd" / "not-a-tar.ova", name="fixed", version="10.5.94")
    (repository / "vcd" / "vcd-10.5.1.ova").unlink()
    shutil.rmtree(repository / "rabbitmq")
    added = good_ova_write(repository, "USAGE_METER", 42)
    touch_later(repository / filled["ovf"].rsplit("/", 1)[0] / "vcd-10.6.0-disk1.vmdk")

    third, _ = scan()
    action = files_action(third)
    result = action.result
    assert action.message == (
        "50 files: 42 usable, 8 broken (46 unchanged since the last scan; 11 gone since the "
        "last scan; no directory rabbitmq/)"
    ), action.log
    assert result["missingDirectories"] == ["rabbitmq/"]
    reread = [changed, fixed, added] + [
        repository / f for f in RepositoryFile.objects.get(path=filled["ovf"]).files if f.endswith(".vmdk")
    ]
    # The three OVAs whole; of the OVF the descriptor and its disk (the manifest is not hashed).
    ovf_folder = repository / filled["ovf"].rsplit("/", 1)[0]
    assert result["bytesRead"] == sum(p.stat().st_size for p in reread) + (ovf_folder / "vcd-10.6.0.ovf").stat().st_size
    rows = {row.path: row for row in RepositoryFile.objects.all()}
    assert rows["vcd/vcd-10.5.0.ova"].status == BROKEN
    assert (
        "manifest: SHA256 of vcd-10.5.0-disk1.vmdk does not match (expected 1111" in rows["vcd/vcd-10.5.0.ova"].problem
    )
    assert (rows["vcd/not-a-tar.ova"].status, rows["vcd/not-a-tar.ova"].version) == (OK, "10.5.94")
    assert "vcd/vcd-10.5.1.ova" not in rows and not any(p.startswith("rabbitmq/") for p in rows)
    assert rows["usage_meter/usage_meter-4.8.42.ova"].status == OK
    assert "vcd/vcd-10.5.1.ova: gone since the last scan" in action.log
    assert "rabbitmq/ does not exist" in action.log
    assert selectors.repository_versions(product_type="RABBITMQ") == []
    assert "10.5.0" not in selectors.repository_versions(product_type="VCD")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_unreadable_repository_fails_the_scan_and_keeps_what_is_known(repository, worker):
    good_ova_write(repository, "VCD", 1)
    first, _ = scan()
    assert first.status == Status.SUCCESS
    shutil.rmtree(repository)
    repository.write_text("not a directory")  # as a share that is not mounted can look
    failed, _ = scan()
    assert failed.status == Status.ERROR
    assert f"the repository directory {repository} cannot be read: Not a directory" in failed.message
    assert RepositoryFile.objects.filter(path="vcd/vcd-10.5.1.ova", status=OK).exists()

    repository.unlink()
    repository.mkdir()  # an empty mount point: none of the product directories
    empty, _ = scan()
    assert empty.status == Status.ERROR
    assert (
        "has none of the product directories (ova_appliance/, rabbitmq/, usage_meter/, vcd/, vrops_tenant_app/)"
        in empty.message
    )
    assert RepositoryFile.objects.count() == 1


# --- the same work in this process: the cache's rules, cancel, unreadable parts ---


def _scan_here(root, **callbacks) -> services.ScanSummary:
    return services.repository_files_scan(root=root, **callbacks)


@pytest.mark.django_db
def test_the_cache_key_is_size_and_mtime(repository):
    ova = good_ova_write(repository, "OVA_APPLIANCE", 1)
    assert _scan_here(repository).bytes_read == ova.stat().st_size
    flip_byte(ova, "ova_appliance-1.0.1-disk1.vmdk", 10, keep_mtime=True)
    # Same size, same mtime: the scan trusts its cache and does not read the disk (the damage goes unseen) …
    summary = _scan_here(repository)
    assert (summary.bytes_read, summary.unchanged, summary.usable) == (0, 1, 1)
    # … until the mtime moves, as any real change of the file moves it.
    touch_later(ova)
    summary = _scan_here(repository)
    assert (summary.bytes_read, summary.broken) == (ova.stat().st_size, 1)
    assert "does not match" in RepositoryFile.objects.get().problem


@pytest.mark.django_db
def test_a_cancelled_scan_stops_between_files_and_removes_nothing(repository):
    for patch in range(5):
        good_ova_write(repository, "RABBITMQ", patch)
    RepositoryFile.objects.create(
        product_type="VCD",
        path="vcd/old.ova",
        kind="OVA",
        size=1,
        mtime=0,
        status=OK,
        scanned_at="2024-01-01T00:00:00Z",
    )

    class Cancelled(Exception):
        pass

    calls = []

    def check_cancel():
        calls.append(1)
        if len(calls) > 3:
            raise Cancelled()

    with pytest.raises(Cancelled):
        _scan_here(repository, check_cancel=check_cancel)
    assert RepositoryFile.objects.filter(product_type="RABBITMQ").count() >= 1
    assert RepositoryFile.objects.filter(path="vcd/old.ova").exists()


@pytest.mark.django_db
def test_an_unreadable_directory_or_file_is_reported_and_read_again_next_time(repository, monkeypatch):
    ok = good_ova_write(repository, "VCD", 1)
    good_ova_write(repository, "USAGE_METER", 1)
    _scan_here(repository)
    real_walk, real_read = services.os.walk, services.packages.ova_read

    def walk(top, topdown=True, onerror=None, followlinks=False):  # as without read permission (we may be root)
        if str(top).endswith("usage_meter"):
            onerror(PermissionError(13, "Permission denied", str(top)))
            return iter(())
        return real_walk(top, topdown, onerror, followlinks)

    def read(path, **kwargs):
        if str(path) == str(ok):
            raise PermissionError(13, "Permission denied", str(path))
        return real_read(path, **kwargs)

    monkeypatch.setattr(services.os, "walk", walk)
    monkeypatch.setattr(services.packages, "ova_read", read)
    touch_later(ok)
    lines = []
    summary = _scan_here(repository, log=lines.append)
    assert summary.unreadable == ["usage_meter/"] and "could not read usage_meter/" in summary.message
    kept = RepositoryFile.objects.get(path="usage_meter/usage_meter-4.8.1.ova")
    assert kept.status == BROKEN and "its directory could not be read" in kept.problem
    row = RepositoryFile.objects.get(path="vcd/vcd-10.5.1.ova")
    assert (row.status, row.problem, row.fingerprint) == (BROKEN, "cannot be read: Permission denied", "")
    assert "usage_meter/ cannot be read: Permission denied" in lines

    monkeypatch.setattr(services.os, "walk", real_walk)
    monkeypatch.setattr(services.packages, "ova_read", real_read)
    summary = _scan_here(repository)
    assert (summary.usable, summary.unchanged) == (2, 0)  # both read again, both fine
