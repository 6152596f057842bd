"""Fake product appliances: what a deployed VCD, RabbitMQ, Usage Meter or Tenant App answers on its own IP
once its VM has booted, following the documented APIs the products/appliances modules call.

`AppliancePark` holds the appliances a test expects, by IP: `park.expect(ip, "VCD", root_password=…, …)`,
then `park.boot(ip)` starts its HTTPS servers on the ports its product type declares (the guest simulator
does that when the VM's guest comes up), `park.halt(ip)` stops them (powered off; the appliance keeps its
state).
Each fake checks credentials and payloads as the real API does and answers refusals with the product's
own status and JSON error document; every request is recorded in `fake.calls` with its parsed body,
secrets included, for assertions. Fixture: `appliances` (function scope; everything stops at teardown).

One module per product holds its fake (vcd, rabbitmq, usage_meter, tenant_app), on what base.py shares.
This package is the pytest plugin (tests/conftest.py): the `appliances` and `guests` fixtures, and
`appliance_ports`, which moves the appliance ports of the whole session (test process and workers) off
the privileged ones, to base.TEST_PORTS.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import override_settings

from tests.fakes.appliances.base import TEST_PORTS, FakeAppliance
from tests.fakes.appliances.rabbitmq import FakeRabbitmq
from tests.fakes.appliances.tenant_app import FakeTenantApp
from tests.fakes.appliances.usage_meter import FakeUsageMeter
from tests.fakes.appliances.vcd import FakeVcd, VcdInstallation
from tests.vcsim import TlsFiles


class AppliancePark:
    """The appliances a test expects, by IP; booted and halted as their VMs' guests come and go."""

    kinds: dict[str, type[FakeAppliance]] = {
        "VCD": FakeVcd,
        "RABBITMQ": FakeRabbitmq,
        "USAGE_METER": FakeUsageMeter,
        "VROPS_TENANT_APP": FakeTenantApp,
    }

    def __init__(self, *, tls: TlsFiles, new_tls: Callable[[], TlsFiles]):
        self._tls, self._new_tls = tls, new_tls
        self._appliances: dict[str, FakeAppliance] = {}
        self._lock = threading.RLock()
        self.vcd_installations: dict[str, VcdInstallation] = {}  # by NFS share

    def expect(self, ip: str, product_type: str, *, root_password: str, **settings: Any) -> FakeAppliance:
        """An appliance of `product_type` will boot at `ip`; settings are the fake's (see its class)."""
        with self._lock:
            if ip in self._appliances:
                raise ValueError(f"an appliance is expected at {ip} already")
            kind = self.kinds[product_type]
            appliance = kind(self, ip, root_password=root_password, tls=self._tls, new_tls=self._new_tls, **settings)
            self._appliances[ip] = appliance
            return appliance

    def expects(self, ip: str) -> bool:
        return ip in self._appliances

    def __getitem__(self, ip: str) -> FakeAppliance:
        return self._appliances[ip]

    def all(self) -> list[FakeAppliance]:
        with self._lock:
            return list(self._appliances.values())

    def boot(self, ip: str, ovf: dict[str, str] | None = None) -> FakeAppliance | None:
        """Start the appliance expected at ip (nothing if none is, or it runs already), with the OVF
        properties its VM has (settings expect() was not given are read from them)."""
        with self._lock:
            appliance = self._appliances.get(ip)
            if appliance is not None:
                appliance.boot(ovf)
            return appliance

    def halt(self, ip: str) -> None:
        with self._lock:
            appliance = self._appliances.get(ip)
            if appliance is not None:
                appliance.halt()

    def stop(self) -> None:
        for appliance in self.all():
            appliance.halt()


@pytest.fixture(scope="session", autouse=True)
def appliance_ports() -> Iterator[dict[str, int]]:
    """The whole session talks to appliances on TEST_PORTS: the product code through LCM_APPLIANCE_PORTS
    (tests.conftest.worker_env hands it to the workers), the fakes through the same declaration."""
    with override_settings(LCM_APPLIANCE_PORTS=TEST_PORTS):
        yield TEST_PORTS


@pytest.fixture
def appliances(vcsim_tls, vcsim_tls_factory) -> Iterator[AppliancePark]:
    """An empty park of fake appliances; every appliance is halted at the end of the test."""
    park = AppliancePark(tls=vcsim_tls, new_tls=vcsim_tls_factory)
    yield park
    park.stop()


from tests.guests import guests  # noqa: E402,F401  - the guest simulator's fixture, registered with this plugin
