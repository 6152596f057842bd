"""Uploads stream: the worker process that imports an OVA with a 200 MB disk grows by far less than
the disk (it never reads a file into memory)."""

from __future__ import annotations

import threading
import time

import pytest

from lifecycle.engine.models import Action, Status
from tests.deploy.conftest import REPOSITORY
from tests.deploy.packages import ova_build

pytestmark = [pytest.mark.vcsim, pytest.mark.worker]

DISK = 200 * 1000 * 1000


def _rss(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return [int(p) for p in children.read().split()]
    except OSError:
        return []


def test_uploading_a_200_mb_disk_grows_the_worker_by_less_than_50_mb(deploy_world, deploy_worker, finished_ok):
    huge = REPOSITORY / "ova_appliance" / "huge.ova"
    if not huge.exists():
        (REPOSITORY.parent / "deploy-build").mkdir(parents=True, exist_ok=True)
        ova_build(
            REPOSITORY.parent / "deploy-build", "OVA_APPLIANCE", name="huge", disk_bytes=DISK, version="3.0.0"
        ).rename(huge)
    from products.services import repository_files_scan

    repository_files_scan(root=REPOSITORY)
    assert huge.stat().st_size > DISK
    pool = _children(deploy_worker.process.pid)
    assert pool, "the worker has no pool processes"
    samples: dict[int, list[int]] = {pid: [] for pid in pool}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            for pid in pool:
                rss = _rss(pid)
                if rss:
                    samples[pid].append(rss)
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    time.sleep(0.1)
    try:
        spec = deploy_world.definition("OVA_APPLIANCE")
        spec["products"][0]["version"] = "3.0.0"
        task = finished_ok(deploy_world.deploy(spec, timeout=120))
    finally:
        stop.set()
        sampler.join()
        huge.unlink()
        repository_files_scan(root=REPOSITORY)
    action = Action.objects.get(task=task, name="vm_import")
    assert action.status == Status.SUCCESS and action.result["bytes"] > DISK
    pid = int(action.worker.rsplit(":", 1)[1])
    rss = samples[pid]
    growth = max(rss) - rss[0]
    print(
        f"worker pool process {pid}: {rss[0] / 2**20:.1f} MiB before, peak {max(rss) / 2**20:.1f} MiB "
        f"(+{growth / 2**20:.1f} MiB) while uploading {action.result['bytes'] / 2**20:.0f} MiB in "
        f"{action.result['seconds']:.2f} s"
    )
    assert growth < 50 * 2**20
