"""The guest simulator: in vcsim a powered-on VM has no VMware Tools and no IP, so this thread plays the
guest operating system of every appliance VM: it "comes up" and its appliance boots.

Every `interval` seconds it reads all VMs through the PropertyCollector. A powered-on VM whose VMware Tools
are not running gets its IP from the OVF property whose key matches ``(^|\\.)ip0(\\.|$)`` (vcsim keeps vApp
property values in config.extraConfig; it turns a key of exactly ``ip0`` into guest.ipAddress at once, so
that one is read from there), and after `delay` seconds the VM is reconfigured with vcsim's
``SET.guest.ipAddress``, ``SET.guest.toolsRunningStatus`` and ``SET.guest.toolsStatus`` keys, which vcsim
shows as guest.*; then the fake appliance expected at that IP boots with the VM's OVF properties (it reads
what the test did not tell it from them, as the appliance reads its OVF environment). A VM powered off or
destroyed halts its appliance (and a powered-off VM's guest is reset, so the next power-on comes up again
after `delay`). vcsim going away (a test stops it) is survived: the thread reconnects until it is back.
Fixture: `guests`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from typing import TYPE_CHECKING, Any

import pytest
from pyVmomi import vim, vmodl

from datacenters.vsphere.connection import connect

if TYPE_CHECKING:
    from tests.fakes.appliances import AppliancePark
    from tests.vcsim import Vcsim

IP_KEY = re.compile(r"(^|\.)ip0(\.|$)")
PROPERTIES = [
    "name",
    "config.instanceUuid",
    "runtime.powerState",
    "guest.toolsRunningStatus",
    "guest.ipAddress",
    "config.extraConfig",
]
PC = vmodl.query.PropertyCollector
GUEST_UP = {"SET.guest.toolsRunningStatus": "guestToolsRunning", "SET.guest.toolsStatus": "toolsOk"}
GUEST_DOWN = {
    "SET.guest.toolsRunningStatus": "guestToolsNotRunning",
    "SET.guest.toolsStatus": "toolsNotRunning",
    "SET.guest.ipAddress": "",
}


class GuestSimulator(threading.Thread):
    """Brings the guests of vcsim's powered-on VMs up, and boots and halts their fake appliances."""

    def __init__(self, vcsim: Vcsim, park: AppliancePark | None = None, *, delay: float = 0.0, interval: float = 0.2):
        super().__init__(name="guest-simulator", daemon=True)
        self.vcsim, self.park, self.delay, self.interval = vcsim, park, delay, interval
        self.paused: set[str] = set()  # VM names or IPs whose guest stays down until resumed
        self.came_up: list[str] = []  # IPs of the guests brought up, in order
        self.came_up_at: dict[str, float] = {}  # IP → time.time() just before its guest was reported up
        self.errors: list[str] = []  # what went wrong on the way (vcsim away, a fake that cannot listen …)
        self._stop_event = threading.Event()
        # Keyed by the VM's instance UUID: a restarted vcsim hands out the same morefs to other VMs.
        self._powered_on_seen: dict[str, float] = {}  # when first seen powered on with its guest down
        self._up: dict[str, str] = {}  # the IPs of the guests that are up
        self._ips: dict[str, str] = {}  # the VMs' IPs (power off clears guest.ipAddress, where ip0 landed)

    def pause(self, key: str) -> None:
        """Hold the guest of this VM (name or IP) down, e.g. to test a timeout."""
        self.paused.add(key)

    def resume(self, key: str) -> None:
        self.paused.discard(key)

    def stop(self, timeout: float = 15) -> None:
        self._stop_event.set()
        self.join(timeout)

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                with connect(
                    fqdn=self.vcsim.fqdn,
                    port=self.vcsim.port,
                    username=self.vcsim.username,
                    password=self.vcsim.password,
                    certificate_pem=self.vcsim.certificate.pem,
                    timeout=5,
                ) as service_instance:
                    self._watch(service_instance)
            except Exception as exc:  # vcsim stopped or restarting: the VMs keep running, try again
                self._error(f"vcsim: {exc}")
                self._stop_event.wait(self.interval)

    def _watch(self, service_instance: vim.ServiceInstance) -> None:
        content = service_instance.RetrieveContent()
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
        try:
            while not self._stop_event.is_set():
                self._tick(content, view)
                self._stop_event.wait(self.interval)
        finally:
            with suppress(Exception):
                view.DestroyView()

    def _tick(self, content: vim.ServiceInstanceContent, view: vim.view.ContainerView) -> None:
        now = time.monotonic()
        present = set()
        for vm in _vms_read(content, view):
            key = vm.get("config.instanceUuid") or vm["obj"]._moId
            present.add(key)
            ip = self._ip(key, vm)
            if vm.get("runtime.powerState") != "poweredOn":
                self._powered_on_seen.pop(key, None)
                if key in self._up:
                    self._down(key, vm["obj"])
                continue
            if ip is None:
                continue
            if vm.get("guest.toolsRunningStatus") == "guestToolsRunning":
                if key not in self._up:  # up before we looked (a reconfigure of our own, or the test's)
                    self._booted(key, ip, vm)
                continue
            if vm.get("name") in self.paused or ip in self.paused:
                continue
            if now - self._powered_on_seen.setdefault(key, now) < self.delay:
                continue
            self.came_up_at[ip] = time.time()
            _reconfigure(vm["obj"], {"SET.guest.ipAddress": ip, **GUEST_UP})
            self.came_up.append(ip)
            self._booted(key, ip, vm)
        for key in set(self._up) - present:  # destroyed
            self._halt(self._up.pop(key))

    def _ip(self, key: str, vm: dict[str, Any]) -> str | None:
        for option in vm.get("config.extraConfig") or []:
            if IP_KEY.search(option.key) and option.value:
                self._ips[key] = str(option.value)
                break
        else:
            if vm.get("guest.ipAddress") and key not in self._ips:
                self._ips[key] = vm["guest.ipAddress"]
        return self._ips.get(key)

    def _booted(self, key: str, ip: str, vm: dict[str, Any]) -> None:
        self._up[key] = ip
        if self.park is not None and self.park.expects(ip):
            ovf = {o.key: str(o.value) for o in vm.get("config.extraConfig") or [] if not o.key.startswith("SET.")}
            try:
                self.park.boot(ip, ovf)
            except Exception as exc:
                self._error(f"booting the appliance at {ip}: {exc}")

    def _down(self, key: str, vm: vim.VirtualMachine) -> None:
        self._halt(self._up.pop(key))
        try:
            _reconfigure(vm, GUEST_DOWN)
        except Exception as exc:  # being destroyed: nothing left to reset
            self._error(f"resetting the guest of {vm._moId}: {exc}")

    def _halt(self, ip: str) -> None:
        if self.park is not None:
            self.park.halt(ip)

    def _error(self, text: str) -> None:
        if not self.errors or self.errors[-1] != text:
            self.errors.append(text)


def _vms_read(content: vim.ServiceInstanceContent, view: vim.view.ContainerView) -> Iterator[dict[str, Any]]:
    spec = PC.FilterSpec(
        objectSet=[
            PC.ObjectSpec(
                obj=view,
                skip=True,
                selectSet=[PC.TraversalSpec(name="view", path="view", skip=False, type=vim.view.ContainerView)],
            )
        ],
        propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=PROPERTIES)],
    )
    collector = content.propertyCollector
    result = collector.RetrievePropertiesEx([spec], PC.RetrieveOptions())
    while result is not None:
        for item in result.objects:
            yield {"obj": item.obj, **{p.name: p.val for p in item.propSet}}
        result = collector.ContinueRetrievePropertiesEx(result.token) if result.token else None


def _reconfigure(vm: vim.VirtualMachine, values: dict[str, str], timeout: float = 10) -> None:
    spec = vim.vm.ConfigSpec(extraConfig=[vim.option.OptionValue(key=k, value=v) for k, v in values.items()])
    task = vm.ReconfigVM_Task(spec=spec)
    deadline = time.monotonic() + timeout
    while task.info.state not in ("success", "error"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"reconfiguring {vm._moId} did not finish within {timeout} s")
        time.sleep(0.02)
    if task.info.state == "error":
        raise RuntimeError(f"reconfiguring {vm._moId} failed: {task.info.error.msg}")


@pytest.fixture
def guests(vcsim, appliances) -> Iterator[GuestSimulator]:
    """The guest simulator on the test's vcsim, booting the test's fake appliances; stopped at the end.

    Set `guests.delay` (seconds before a guest comes up) or `guests.pause(vm_name_or_ip)` as needed.
    """
    simulator = GuestSimulator(vcsim, appliances)
    simulator.start()
    yield simulator
    simulator.stop()
