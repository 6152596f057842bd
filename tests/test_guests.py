"""The guest simulator (tests/guests.py) against a real vcsim: guests come up on power-on and boot their fake
appliances, halt on power-off, wait when delayed or paused, and survive vcsim going away."""

import time

import pytest
from pyVmomi import vim

from datacenters.vsphere.connection import connect
from products.appliances import usage_meter
from tests.guests import GuestSimulator, _vms_read
from tests.products.appliance_nodes import ROOT, eventually, node_make

GUEST_IP0, GUEST_VAMI = "127.0.1.20", "127.0.1.21"


def _vm_create(si, name, extra):
    content = si.RetrieveContent()
    datacenter = content.rootFolder.childEntity[0]
    cluster = next(e for e in datacenter.hostFolder.childEntity if isinstance(e, vim.ClusterComputeResource))
    spec = vim.vm.ConfigSpec(
        name=name,
        guestId="otherGuest64",
        numCPUs=1,
        memoryMB=64,
        files=vim.vm.FileInfo(vmPathName="[LocalDS_0]"),
        extraConfig=[vim.option.OptionValue(key=k, value=v) for k, v in extra.items()],
    )
    task = datacenter.vmFolder.CreateVM_Task(config=spec, pool=cluster.resourcePool)
    assert eventually(lambda: task.info.state in ("success", "error")) and task.info.state == "success"
    return task.info.result


def _guest(si, vm):
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    try:
        return next(v for v in _vms_read(content, view) if v["obj"]._moId == vm._moId)
    finally:
        view.DestroyView()


def _connect(vcsim):
    return connect(
        fqdn=vcsim.fqdn,
        port=vcsim.port,
        username=vcsim.username,
        password=vcsim.password,
        certificate_pem=vcsim.certificate.pem,
    )


def _power(vm, on):
    task = vm.PowerOnVM_Task() if on else vm.PowerOffVM_Task()
    assert eventually(lambda: task.info.state in ("success", "error")) and task.info.state == "success"


@pytest.mark.vcsim
def test_guest_simulator_brings_guests_up_and_boots_their_appliances(vcsim, appliances, guests):
    meter = appliances.expect(GUEST_IP0, "USAGE_METER", root_password=ROOT)
    tenant_app = appliances.expect(GUEST_VAMI, "VROPS_TENANT_APP", root_password=ROOT)
    with _connect(vcsim) as si:
        plain = _vm_create(si, "meter", {"ip0": GUEST_IP0})
        vami = _vm_create(si, "tenant-app", {"vami.ip0.VMware_vCloud_Director": GUEST_VAMI})
        assert _guest(si, vami).get("guest.ipAddress") is None
        time.sleep(0.5)  # powered off: nothing comes up
        assert not meter.booted and not tenant_app.booted and guests.came_up == []

        _power(plain, True)
        _power(vami, True)
        assert eventually(lambda: meter.booted and tenant_app.booted)
        assert tenant_app.ovf["vami.ip0.VMware_vCloud_Director"] == GUEST_VAMI  # what the appliance booted with
        for vm, ip in ((plain, GUEST_IP0), (vami, GUEST_VAMI)):
            seen = _guest(si, vm)
            assert seen["guest.ipAddress"] == ip
            assert seen["guest.toolsRunningStatus"] == "guestToolsRunning"
        usage_meter.appliance.ready(node_make(GUEST_IP0, role="appliance", properties={}, product={}))

        _power(plain, False)
        assert eventually(lambda: not meter.booted)
        seen = _guest(si, plain)
        assert seen["guest.toolsRunningStatus"] == "guestToolsNotRunning" and seen.get("guest.ipAddress") is None
        _power(plain, True)  # comes up again, with the IP it had
        assert eventually(lambda: meter.booted) and meter.boots == 2
        assert _guest(si, plain)["guest.ipAddress"] == GUEST_IP0

        task = vami.PowerOffVM_Task()
        assert eventually(lambda: task.info.state == "success")
        task = vami.Destroy_Task()
        assert eventually(lambda: task.info.state == "success")
        assert eventually(lambda: not tenant_app.booted)
    assert guests.errors == []


@pytest.mark.vcsim
def test_guest_simulator_delay_pause_and_vcsim_going_away(vcsim, appliances, guests):
    meter = appliances.expect(GUEST_IP0, "USAGE_METER", root_password=ROOT)
    guests.delay = 0.6
    guests.pause("held")
    with _connect(vcsim) as si:
        held = _vm_create(si, "held", {"vami.ip0.x": GUEST_VAMI})
        vm = _vm_create(si, "meter", {"ip0": GUEST_IP0})
        _power(held, True)
        _power(vm, True)
        started = time.monotonic()
        assert eventually(lambda: meter.booted)
        assert time.monotonic() - started >= 0.4
        assert _guest(si, held)["guest.toolsRunningStatus"] == "guestToolsNotRunning"
        guests.resume("held")
        assert eventually(lambda: _guest(si, held)["guest.toolsRunningStatus"] == "guestToolsRunning")
    assert guests.came_up == [GUEST_IP0, GUEST_VAMI]

    vcsim.stop()  # vCenter gone: the VMs (and their appliances) keep running, the simulator keeps trying
    assert eventually(lambda: any("vcsim" in e for e in guests.errors))
    assert meter.booted and guests.is_alive()
    vcsim.start()  # back, with its default inventory: our VMs are gone, so is their appliance
    assert eventually(lambda: not meter.booted)
    started = time.monotonic()
    guests.stop()
    assert not guests.is_alive() and time.monotonic() - started < 6


def test_guest_simulator_without_vcsim_stops_cleanly(vcsim, appliances):
    vcsim.stop()
    simulator = GuestSimulator(vcsim, appliances)
    simulator.start()
    assert eventually(lambda: simulator.errors)
    simulator.stop()
    assert not simulator.is_alive()
