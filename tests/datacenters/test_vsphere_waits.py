"""Waits on vCenter (datacenters/vsphere/waits.py) against vcsim: they block in WaitForUpdatesEx and move
on as soon as vCenter reports, each with a property collector of its own; timeouts and cancel still hold."""

from __future__ import annotations

import threading
import time

import pytest
from pyVmomi import vim

from datacenters.vsphere import vms
from datacenters.vsphere.connection import connect
from datacenters.vsphere.waits import VmTaskFailed, task_wait
from lifecycle.waits import WaitTimedOut, wait_until

pytestmark = pytest.mark.vcsim


@pytest.fixture
def si(vcsim):
    with connect(
        fqdn=vcsim.fqdn,
        port=vcsim.port,
        username=vcsim.username,
        password=vcsim.password,
        certificate_pem=vcsim.certificate.pem,
    ) as service_instance:
        yield service_instance


def _a_vm(si) -> str:
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    try:
        return view.view[0]._moId
    finally:
        view.Destroy()


def _guest_up(si, moref: str, ip: str) -> None:
    spec = vim.vm.ConfigSpec(
        extraConfig=[
            vim.option.OptionValue(key=k, value=v)
            for k, v in {"SET.guest.ipAddress": ip, "SET.guest.toolsRunningStatus": "guestToolsRunning"}.items()
        ]
    )
    task_wait(vim.VirtualMachine(moref, si._stub).ReconfigVM_Task(spec), what="guest up")


def test_task_wait_returns_when_the_task_ends_and_says_why_it_failed(si):
    moref = _a_vm(si)
    vm = vim.VirtualMachine(moref, si._stub)
    started = time.monotonic()
    task_wait(vm.PowerOffVM_Task(), what=f"powering off {moref}")
    assert time.monotonic() - started < 1.5 and vms.vm_read(si, moref)["powerState"] == "poweredOff"
    with pytest.raises(VmTaskFailed, match=f"powering off {moref} failed: "):
        task_wait(vm.PowerOffVM_Task(), what=f"powering off {moref}")  # already off: InvalidPowerState


def test_guest_wait_moves_on_when_vcenter_reports_the_guest(si):
    moref = _a_vm(si)
    reported_at: list[float] = []

    def later() -> None:
        time.sleep(0.5)
        reported_at.append(time.monotonic())
        _guest_up(si, moref, "10.9.9.9")

    with vms.vm_guest_watch(si, moref=moref) as guest:
        thread = threading.Thread(target=later)
        thread.start()
        wait_until(
            lambda: None if guest.values.get("ipAddress") == "10.9.9.9" else "no IP yet",
            what="the guest",
            timeout=10,
            pause=guest.pause,
        )
        done = time.monotonic()
        thread.join()
    assert guest.values["toolsRunningStatus"] == "guestToolsRunning"
    assert done - reported_at[0] < 0.6  # vcsim gathers changes for 250 ms; polling would wait a whole interval


def test_concurrent_waits_on_one_session_each_see_their_updates(si):
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    morefs = [vm._moId for vm in view.view[:2]]
    view.Destroy()
    seen: dict[str, str] = {}

    def wait_for_ip(moref: str) -> None:
        with vms.vm_guest_watch(si, moref=moref) as guest:
            wait_until(
                lambda: None if (guest.values.get("ipAddress") or "").startswith("10.8.") else "no IP",
                what="the guest",
                timeout=10,
                pause=guest.pause,
            )
            seen[moref] = guest.values["ipAddress"]

    threads = [threading.Thread(target=wait_for_ip, args=(moref,)) for moref in morefs]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    for index, moref in enumerate(morefs):
        _guest_up(si, moref, f"10.8.0.{index + 1}")
    for thread in threads:
        thread.join(15)
    assert seen == {morefs[0]: "10.8.0.1", morefs[1]: "10.8.0.2"}


def test_a_wait_on_vcenter_times_out_and_is_cancelled_about_once_a_second(si):
    moref = _a_vm(si)
    with vms.vm_guest_watch(si, moref=moref) as guest:
        started = time.monotonic()
        with pytest.raises(WaitTimedOut, match="the guest did not happen within 1 s: no answer"):
            wait_until(lambda: "no answer", what="the guest", timeout=1.5, pause=guest.pause)
        assert time.monotonic() - started < 3.5

        class Cancelled(Exception):
            pass

        checks = []

        def check() -> None:
            checks.append(time.monotonic())
            if len(checks) == 3:
                raise Cancelled()

        with pytest.raises(Cancelled):
            wait_until(lambda: "no answer", what="the guest", timeout=60, pause=guest.pause, check=check)
        assert checks[-1] - checks[0] < 3.5


def test_watching_a_vm_that_is_gone_says_so(si):
    moref = _a_vm(si)
    vms.vm_destroy(si, moref=moref)
    with pytest.raises(vms.VmGone, match=f"VM {moref} no longer exists"):
        with vms.vm_guest_watch(si, moref=moref):
            pass
