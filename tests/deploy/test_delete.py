"""Deleting what was deployed: only the VMs this system made (by their recorded instance UUID) are
destroyed, then the records go; refused while another task runs on the environment."""

from __future__ import annotations

import pytest

from environments import services
from environments.models import Environment, EnvironmentState, Node
from lifecycle.engine.models import Status
from lifecycle.errors import Conflict
from tests.helpers import task_wait

pytestmark = [pytest.mark.vcsim, pytest.mark.worker]


def _impostor(world, name: str) -> str:
    """A VM that this system did not make, with the same name as one it did (in another folder)."""
    from pyVmomi import vim

    with world.connect() as si:
        content = si.RetrieveContent()
        dc = content.rootFolder.childEntity[0]
        folder = dc.vmFolder.CreateFolder("elsewhere")
        pool = dc.hostFolder.childEntity[0].resourcePool
        config = vim.vm.ConfigSpec(name=name, files=vim.vm.FileInfo(vmPathName="[LocalDS_0]"), numCPUs=1, memoryMB=64)
        task = folder.CreateVM_Task(config=config, pool=pool)
        while task.info.state not in ("success", "error"):
            pass
        return task.info.result._moId


def test_delete_environment_destroys_only_its_own_vms(deploy_world, finished_ok):
    spec = deploy_world.definition("RABBITMQ", nodes=2)
    finished_ok(deploy_world.deploy(spec))
    names = [n["vmName"] for n in spec["products"][0]["nodes"]]
    impostor = _impostor(deploy_world, names[0])
    uuids = set(Node.objects.values_list("instance_uuid", flat=True))

    task = finished_ok(task_wait(services.environment_delete(environment_id=spec["environmentId"]).pk))
    destroyed = task.actions.filter(name="vm_destroy")
    assert destroyed.count() == 2 and all("powered off and destroyed" in a.log for a in destroyed)
    vms = deploy_world.vms()
    assert vms[names[0]]["moref"] == impostor  # the same name, not ours: untouched
    assert names[1] not in vms and not uuids & {vm["uuid"] for vm in vms.values()}
    assert not Environment.objects.filter(environment_id=spec["environmentId"]).exists()


def test_delete_one_product_keeps_the_other(deploy_world, finished_ok):
    spec = deploy_world.definition("VROPS_TENANT_APP")  # a VCD and the Tenant App
    finished_ok(deploy_world.deploy(spec))
    with pytest.raises(Conflict, match="integrated with tenant-app"):
        services.product_delete(environment_id=spec["environmentId"], product_id="vcd")
    finished_ok(task_wait(services.product_delete(environment_id=spec["environmentId"], product_id="tenant-app").pk))
    environment = Environment.objects.get(environment_id=spec["environmentId"])
    assert [p.product_id for p in environment.products.all()] == ["vcd"]
    assert environment.state == EnvironmentState.DEPLOYED
    vms = deploy_world.vms()
    assert spec["products"][0]["nodes"][0]["vmName"] in vms and spec["products"][1]["nodes"][0]["vmName"] not in vms


def test_a_vm_already_gone_is_said_so_and_a_running_task_blocks_delete(deploy_world, finished_ok):
    spec = deploy_world.definition("OVA_APPLIANCE", nodes=2)
    finished_ok(deploy_world.deploy(spec))
    node = Node.objects.filter(product__environment__environment_id=spec["environmentId"]).first()
    with deploy_world.connect() as si:  # someone removed one VM by hand
        from datacenters.vsphere import vms

        vms.vm_destroy(si, moref=node.vm_moref)
    task = services.environment_delete(environment_id=spec["environmentId"])
    with pytest.raises(Conflict, match=f"task {task.pk} .* is running on {spec['environmentId']}"):
        services.environment_delete(environment_id=spec["environmentId"])
    task = finished_ok(task_wait(task.pk))
    logs = " ".join(a.log for a in task.actions.filter(name="vm_destroy"))
    assert f"no VM with instance UUID {node.instance_uuid} in vc01: already gone" in logs
    assert task.status == Status.SUCCESS
