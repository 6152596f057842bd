"""What goes wrong in a deployment, and what a user can do about it: failing pre-checks, cancel and a
cut connection mid-upload (the half-made VM is removed), a bad property fixed by a restart."""

from __future__ import annotations

import json
import socket

import pytest

from environments.models import Environment, EnvironmentState, Node, NodeState
from lifecycle.engine.models import Status
from lifecycle.engine.services import task_cancel, task_restart
from products.types import product_type_get
from tests.deploy.conftest import REPOSITORY
from tests.deploy.packages import ova_build
from tests.fakes.tcp_proxy import TcpProxy
from tests.helpers import action_wait, task_story, task_wait

pytestmark = [pytest.mark.vcsim, pytest.mark.worker]


def test_failing_prechecks_stop_before_any_vm_is_made(deploy_world):
    spec = deploy_world.definition("RABBITMQ", nodes=3)
    nodes = spec["products"][0]["nodes"]
    deploy_world.dns.records[nodes[1]["hostName"]] = "127.0.1.250"  # DNS disagrees with the definition
    https = product_type_get("VCD").port("cell")  # 443 in production; the suite's own here
    listener = socket.create_server((nodes[2]["nics"][0]["ipAddress"], https))  # something answers at that IP
    try:
        with deploy_world.connect() as si:  # a VM of that name (not ours) sits in the folder already
            from pyVmomi import vim

            content = si.RetrieveContent()
            dc = content.rootFolder.childEntity[0]
            pool = dc.hostFolder.childEntity[0].resourcePool
            config = vim.vm.ConfigSpec(
                name=nodes[0]["vmName"], files=vim.vm.FileInfo(vmPathName="[LocalDS_0]"), numCPUs=1, memoryMB=64
            )
            dc.vmFolder.CreateVM_Task(config=config, pool=pool).info  # noqa: B018 (runs the task)
        before = set(deploy_world.vms())
        task = deploy_world.deploy(spec)
    finally:
        listener.close()
    assert task.status == Status.ERROR
    action = task.actions.get(name="prechecks")
    assert action.status == Status.ERROR and action.message.startswith("3 pre-check(s) failed:")
    assert f"FAIL vm         products[0].nodes[0].vmName: a VM named '{nodes[0]['vmName']}'" in action.log
    assert (
        f"FAIL dns        products[0].nodes[1].hostName: {nodes[1]['hostName']} resolves to 127.0.1.250, "
        f"not {nodes[1]['nics'][0]['ipAddress']}"
    ) in action.log
    assert f"already answers on port {https}" in action.log
    assert set(deploy_world.vms()) == before  # nothing was made
    assert Environment.objects.get(environment_id=spec["environmentId"]).state == EnvironmentState.FAILED
    assert task.actions.filter(name="vm_import", status=Status.NOT_STARTED).count() == 3


def test_validate_runs_the_same_prechecks(deploy_world):
    from environments.services import environment_validate

    spec = deploy_world.definition("OVA_APPLIANCE")
    report = environment_validate(spec=spec)
    assert report["valid"] is True
    kinds = {c["check"] for c in report["checks"]}
    assert {"vcenter", "placement", "vm", "datastore", "dns", "address", "repository"} <= kinds
    deploy_world.dns.silent = True  # DNS unreachable: a warning, said as such, not a failure
    try:
        report = environment_validate(spec=spec)
    finally:
        deploy_world.dns.silent = False
    dns = next(c for c in report["checks"] if c["check"] == "dns")
    assert report["valid"] is True and dns["status"] == "WARN" and "DNS unreachable" in dns["message"]


def test_an_appliance_that_never_answers_fails_at_its_types_timeout(deploy_world):
    spec = deploy_world.definition("USAGE_METER")
    node = spec["products"][0]["nodes"][0]
    deploy_world.park.expect(
        node["nics"][0]["ipAddress"], "USAGE_METER", root_password=node["rootPassword"], starting_seconds=3600
    )  # boots, but its application never comes up
    task = deploy_world.deploy(spec, expect=False)
    assert task.status == Status.ERROR
    ready = task.actions.get(name="primary_ready")
    assert ready.message.startswith(
        f"the vCloud Usage Meter appliance at {node['nics'][0]['ipAddress']} to answer did not happen within 3 s: "
    )
    assert "503" in ready.message and "still starting" in ready.message
    assert (
        Node.objects.get(product__environment__environment_id=spec["environmentId"]).deploy_state == NodeState.STARTED
    )


@pytest.fixture
def slow_world(deploy_world):
    """vc01 reached through a proxy that slows uploads to 8 MiB/s and can cut the connections."""
    from datacenters.models import DatacenterComponent

    proxy = TcpProxy((deploy_world.vcsim.fqdn, deploy_world.vcsim.port), rate=8 << 20)
    DatacenterComponent.objects.filter(component_name="vc01").update(port=proxy.port)
    big = REPOSITORY / "ova_appliance" / "big.ova"
    if not big.exists():
        (REPOSITORY.parent / "deploy-build").mkdir(parents=True, exist_ok=True)
        ova_build(
            REPOSITORY.parent / "deploy-build", "OVA_APPLIANCE", name="big", disk_bytes=48 << 20, version="2.0.0"
        ).rename(big)
    from products.services import repository_files_scan

    repository_files_scan(root=REPOSITORY)
    deploy_world.proxy = proxy
    yield deploy_world
    proxy.stop()
    big.unlink(missing_ok=True)
    repository_files_scan(root=REPOSITORY)


def _big(world) -> dict:
    spec = world.definition("OVA_APPLIANCE")
    spec["products"][0]["version"] = "2.0.0"
    return spec


def _uploading(task_id: int):
    return action_wait(
        task_id,
        "vm_import",
        lambda a: a.status == Status.IN_PROGRESS and a.progress >= 10 and "uploaded" in (a.message or ""),
    )


def test_cancel_during_upload_aborts_the_lease_and_removes_the_vm(slow_world):
    spec = _big(slow_world)
    task = slow_world.deploy(spec, wait=False)
    action = _uploading(task.pk)
    assert "MiB/s" in action.message and "left" in action.message  # bytes, percent, rate and ETA, live
    node = Node.objects.get(product__environment__environment_id=spec["environmentId"])
    assert node.deploy_state == NodeState.IMPORTING and node.instance_uuid  # recorded before the upload
    task_cancel(task_id=task.pk)
    task = task_wait(task.pk, timeout=60)
    assert task.status == Status.CANCELLED
    action = task.actions.get(name="vm_import")
    assert action.status == Status.CANCELLED
    assert "aborted the import lease" in action.log and "removed the half-made VM" in action.log
    assert spec["products"][0]["nodes"][0]["vmName"] not in slow_world.vms()
    node.refresh_from_db()
    assert (node.instance_uuid, node.deploy_state) == ("", NodeState.DEFINED)
    assert Environment.objects.get(environment_id=spec["environmentId"]).state == EnvironmentState.FAILED


def test_a_cut_connection_mid_upload_fails_cleanly_and_a_restart_deploys(slow_world, finished_ok):
    spec = _big(slow_world)
    task = slow_world.deploy(spec, wait=False)
    _uploading(task.pk)
    assert slow_world.proxy.cut() > 0
    task = task_wait(task.pk, timeout=60)
    assert task.status == Status.ERROR
    action = task.actions.get(name="vm_import")
    assert (
        action.message.startswith("the upload of big-disk1.vmdk to 127.0.0.1:")
        and " broke off after " in action.message
    )
    assert "aborted the import lease" in action.log and "removed the half-made VM" in action.log
    vm_name = spec["products"][0]["nodes"][0]["vmName"]
    # The half-made VM is gone now, or (when the cut also broke the clean-up) removed by the restart.
    slow_world.proxy.rate = None
    task_restart(task_id=task.pk)
    task = finished_ok(task_wait(task.pk, timeout=60))
    assert list(slow_world.vms()).count(vm_name) == 1
    node = Node.objects.get(product__environment__environment_id=spec["environmentId"])
    assert slow_world.vms()[vm_name]["uuid"] == node.instance_uuid
    assert Environment.objects.get(environment_id=spec["environmentId"]).state == EnvironmentState.DEPLOYED


@pytest.mark.parametrize("mode", ["FAILED", "CHECKPOINT"])
def test_a_bad_property_is_fixed_and_the_restart_keeps_what_was_done(deploy_world, finished_ok, mode):
    """From the failed action, or from the last checkpoint (the imports): never the VMs again."""
    spec = deploy_world.definition("VCD", nodes=2)
    good_share = spec["products"][0]["properties"]["nfsMount"]
    spec["products"][0]["properties"]["nfsMount"] = "nfs.lab.test:/wrong"
    deploy_world.expect(spec)
    for node in spec["products"][0]["nodes"]:  # the appliances can mount only the good share
        deploy_world.park[node["nics"][0]["ipAddress"]].nfs_share = good_share
    from environments.services import environment_submit
    from lifecycle.engine.models import Task

    _, report = environment_submit(spec=spec, action="DEPLOY")
    task = task_wait(report["taskId"])
    assert task.status == Status.ERROR
    failed = task.actions.get(name="primary_setup")
    assert failed.status == Status.ERROR and "nfs.lab.test:/wrong" in failed.message, task_story(task)
    imports = {a.item: a.finished_at for a in task.actions.filter(name="vm_import")}
    assert Environment.objects.get(environment_id=spec["environmentId"]).state == EnvironmentState.FAILED

    corrected = Environment.objects.get(environment_id=spec["environmentId"])
    from environments.services import environment_export

    definition = environment_export(environment_id=corrected.environment_id)
    definition["products"][0]["properties"]["nfsMount"] = good_share
    moved = json.loads(json.dumps(definition))
    moved["products"][0]["nodes"][1]["nics"][0]["ipAddress"] = "127.0.1.200"
    from lifecycle.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:  # its VM exists: a restart cannot move it
        task_restart(task_id=task.pk, request=moved, mode=mode)
    assert list(refused.value.errors) == ["products[0].nodes[1].nics"]
    assert Task.objects.get(pk=task.pk).status == Status.ERROR  # nothing changed
    task_restart(task_id=task.pk, request=definition, mode=mode)
    environment = Environment.objects.get(environment_id=spec["environmentId"])
    assert environment.state == EnvironmentState.DEPLOYING
    assert environment.products.get().state == EnvironmentState.DEPLOYING
    task = finished_ok(task_wait(task.pk))
    assert Environment.objects.get(environment_id=spec["environmentId"]).state == EnvironmentState.DEPLOYED
    restarted_at = {a.name for a in task.actions.filter(attempt=2)}
    assert "vm_import" not in restarted_at and "primary_setup" in restarted_at
    assert ("primary_start" in restarted_at) == (mode == "CHECKPOINT")
    assert task.attempt == 2
    # The VMs were not deployed again: the import actions of the first attempt are the only ones.
    assert set(task.actions.filter(name="vm_import").values_list("attempt", flat=True)) == {1}
    assert {a.item: a.finished_at for a in task.actions.filter(name="vm_import")} == imports
    assert (
        Environment.objects.get(environment_id=spec["environmentId"]).products.get().spec["properties"]["nfsMount"]
        == good_share
    )
    primary_ip = spec["products"][0]["nodes"][0]["nics"][0]["ipAddress"]
    assert deploy_world.park[primary_ip].setup_body["storage"] == {"nfs": good_share}
    assert Task.objects.get(pk=task.pk).request["definition"]["products"][0]["properties"]["nfsMount"] == good_share


def test_a_worker_killed_mid_upload_leaves_a_vm_the_restart_removes(
    slow_world, worker_factory, deploy_worker_env, finished_ok
):
    """The hardest failure: nothing could clean up. The node recorded the VM's UUID before the upload, so the
    restart finds and removes the half-made VM, then imports again."""
    from lifecycle.project import celery_app

    queue = deploy_worker_env["LCM_QUEUE"] + "-victim"
    celery_app.conf.task_default_queue = queue
    victim = worker_factory("victim", concurrency=1, **{**deploy_worker_env, "LCM_QUEUE": queue})
    spec = _big(slow_world)
    task = slow_world.deploy(spec, wait=False)
    _uploading(task.pk)
    node = Node.objects.get(product__environment__environment_id=spec["environmentId"])
    half_made, half_made_moref = node.instance_uuid, node.vm_moref
    victim.kill()
    successor = worker_factory("successor", concurrency=2, **{**deploy_worker_env, "LCM_QUEUE": queue})
    task = task_wait(task.pk, timeout=30)
    assert task.status == Status.ERROR and "stopped unexpectedly" in task.actions.get(name="vm_import").message
    vm_name = spec["products"][0]["nodes"][0]["vmName"]
    assert slow_world.vms()[vm_name]["uuid"] == half_made  # left behind, and recorded
    slow_world.proxy.rate = None
    task_restart(task_id=task.pk)
    task = finished_ok(task_wait(task.pk, timeout=60))
    log = task.actions.get(name="vm_import", attempt=2).log
    assert f"removing the half-made VM {half_made_moref} (instance UUID {half_made})" in log
    vms = slow_world.vms()
    node.refresh_from_db()
    # A new VM (vcsim derives instance UUIDs from the name, so the moref tells them apart here).
    assert vms[vm_name]["uuid"] == node.instance_uuid and vms[vm_name]["moref"] == node.vm_moref != half_made_moref
    assert [name for name in vms if name == vm_name] == [vm_name]
    successor.stop()
