"""A world to deploy into: a real vcsim registered as vCenter 'vc01', a repository of generated OVAs
(one per product type, scanned for real), a fake DNS that knows every node, the appliance fakes that
"boot" when vcsim powers a VM on (tests/guests.py), and a worker process configured for all of it.

Nodes get loopback addresses 127.0.1.x (all of 127/8 is this machine's), so the appliance fakes can
listen where the product code expects the appliance, on the ports its type declares (this session's,
off the privileged ones: tests/fakes/appliances).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from django.conf import settings

from datacenters.services import components, port_groups
from datacenters.vsphere.connection import connect
from datacenters.vsphere.inventory import about_read, inventory_read
from environments import services as environment_services
from lifecycle.engine.models import Status, Task
from products.services import repository_files_scan
from products.types import product_type_get
from tests.deploy.packages import DOMAIN, PACKAGES, REPO, SUBNET, ova_build
from tests.fakes.dns import FakeDns
from tests.helpers import task_story, task_wait

TEST_DIR = settings.LCM_TEST_DIR
REPOSITORY = TEST_DIR / "deploy-repository"
DEPLOY_QUEUE = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-deploy"  # only the deploy worker consumes it: the session's worker has other settings
EXAMPLES = REPO / "examples" / "environments"


@pytest.fixture(scope="session")
def deploy_repository() -> Path:
    """One generated OVA per product type in its sub-directory (made once per test session)."""
    for code, (subdir, *_rest) in PACKAGES.items():
        target = REPOSITORY / product_type_get(code).repository_dir / f"{subdir}.ova"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            (TEST_DIR / "deploy-build").mkdir(parents=True, exist_ok=True)
            built = ova_build(TEST_DIR / "deploy-build", code)
            built.rename(target)
    return REPOSITORY


@pytest.fixture(scope="session")
def deploy_dns():
    """The session's DNS: deploy_world adds every node's A and PTR record."""
    server = FakeDns(records={}).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def deploy_worker(worker_factory, deploy_worker_env):
    return worker_factory("deploy", concurrency=4, **deploy_worker_env)


@pytest.fixture(scope="session")
def deploy_worker_env(deploy_repository, deploy_dns) -> dict:
    """What a worker that deploys needs: the repository, the DNS, short polls and timeouts, its queue."""
    return dict(
        LCM_QUEUE=DEPLOY_QUEUE,
        LCM_REPOSITORY_DIR=str(deploy_repository),
        LCM_DNS_NAMESERVERS=deploy_dns.address,
        LCM_POLL_INTERVAL="0.1",
        # USAGE_METER.ready short: a test waits it out.
        LCM_TIMEOUTS=",".join(
            [
                f"{code}.{kind}=20"
                for code in PACKAGES
                for kind in ("guest", "ready", "setup")
                if (code, kind) != ("USAGE_METER", "ready")
            ]
            + ["USAGE_METER.ready=3"]
        ),
    )


class World:
    """What a deploy test works with: the vcsim, the DNS, the appliance park, and helpers."""

    def __init__(self, vcsim, dns: FakeDns, park, guests):
        self.vcsim, self.dns, self.park, self.guests = vcsim, dns, park, guests
        self._next_ip = 10

    def connect(self):
        return connect(
            fqdn=self.vcsim.fqdn,
            port=self.vcsim.port,
            username=self.vcsim.username,
            password=self.vcsim.password,
            certificate_pem=self.vcsim.certificate.pem,
        )

    def definition(self, code: str, *, nodes: int = 1, environment_id: str | None = None) -> dict:
        """A definition of one product of this type with `nodes` nodes on fresh 127.0.1.x addresses,
        every node known to the DNS and expected by the appliance park."""
        subdir = PACKAGES[code][0]
        spec = json.loads((EXAMPLES / f"{subdir}.json").read_text())
        spec["environmentId"] = environment_id or f"env-{subdir.replace('_', '-')}-{self._next_ip}"
        for product in spec["products"]:  # the sample's other products (the Tenant App's VCD) come along
            self._nodes(product, nodes if product["productType"] == code else 1)
        return spec

    def _nodes(self, product: dict, count: int) -> None:
        code = product["productType"]
        subdir = PACKAGES[code][0]
        template = product["nodes"][0]
        product["nodes"] = []
        for index in range(count):
            node = copy.deepcopy(template)
            ip = f"127.0.1.{self._next_ip}"
            self._next_ip += 1
            short = f"{subdir.replace('_', '')}-{ip.rsplit('.', 1)[1]}"
            node.update(nodeId=f"node{index + 1}", isPrimary=index == 0, hostName=f"{short}.{DOMAIN}", vmName=short)
            node["nics"] = [{"ipAddress": ip, "networkName": "DC0_DVPG0"}]
            node.pop("cpuNum", None), node.pop("ramMemory", None)
            if code == "VCD":
                node["deploymentOption"] = (
                    "primary-small" if index == 0 else ("standby-small" if index == 1 else "cell")
                )
            product["nodes"].append(node)
            self.dns.records[node["hostName"]] = ip
        if code == "VCD":
            product["properties"]["nfsMount"] = "nfs.lab.test:/vcd-transfer"
        if code == "OVA_APPLIANCE":  # the nodes' own host names and addresses, not one for all
            product["properties"]["ovfProperties"] = {"extra": "x", "vendor.fixed": "mine"}

    def expect(self, spec: dict) -> None:
        """Tell the appliance park which appliance each node's IP will be."""
        for product in spec["products"]:
            if product["productType"] not in self.park.kinds:
                continue  # a generic appliance: nothing answers after boot but the guest
            for node in product["nodes"]:
                self.park.expect(
                    node["nics"][0]["ipAddress"], product["productType"], **appliance_settings(product, node)
                )

    def deploy(self, spec: dict, *, wait: bool = True, timeout: float = 90, expect: bool = True) -> Task:
        if expect:
            self.expect(spec)
        environment, report = environment_services.environment_submit(spec=spec, action="DEPLOY")
        task = Task.objects.get(pk=report["taskId"])
        return task_wait(task.pk, timeout=timeout) if wait else task

    def vms(self) -> dict[str, dict]:
        """name → {moref, folder, pool, datastore names, networks, extraConfig} of every VM in vcsim."""
        from pyVmomi import vim

        found = {}
        with self.connect() as si:
            content = si.RetrieveContent()
            view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
            for vm in view.view:
                found[vm.name] = {
                    "moref": vm._moId,
                    "uuid": vm.config.instanceUuid,
                    "folder": vm.parent.name,
                    "pool": vm.resourcePool.name,
                    "datastores": [ds.name for ds in vm.datastore],
                    "networks": sorted(n.name for n in vm.network),
                    "powerState": str(vm.runtime.powerState),
                    "extraConfig": {o.key: o.value for o in vm.config.extraConfig},
                    "numCPU": vm.config.hardware.numCPU,
                    "memoryMB": vm.config.hardware.memoryMB,
                    "guestIp": vm.guest.ipAddress,
                }
            view.Destroy()
        return found


def appliance_settings(product: dict, node: dict) -> dict:
    """What an appliance fake must accept from this node's deployment (its expected secrets and share)."""
    from lifecycle.secrets import secret_resolve

    properties = product.get("properties") or {}
    out = {"root_password": secret_resolve(node.get("rootPassword") or ""), "host_name": node["hostName"]}
    if product["productType"] == "VCD":
        out["nfs_share"] = properties.get("nfsMount")
        out["role"] = product_type_get("VCD").role_of(node)
    return out


@pytest.fixture
def deploy_world(transactional_db, vcsim, deploy_repository, deploy_dns, deploy_worker, appliances, guests, settings):
    """vc01 = this test's vcsim (inventory read live), port group settings, the repository scanned; this
    test's tasks go to the deploy worker's queue."""
    from lifecycle.project import celery_app

    default_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = DEPLOY_QUEUE
    settings.LCM_REPOSITORY_DIR = deploy_repository
    settings.LCM_DNS_NAMESERVERS = [deploy_dns.address]
    with connect(
        fqdn=vcsim.fqdn,
        port=vcsim.port,
        username=vcsim.username,
        password=vcsim.password,
        certificate_pem=vcsim.certificate.pem,
    ) as si:
        about = about_read(si)
        items = [item.to_dict() for item in inventory_read(si)]
    spec = {
        "componentName": "vc01",
        "datacenterComponentType": "VCENTER",
        "fqdn": vcsim.fqdn,
        "port": vcsim.port,
        "username": vcsim.username,
        "password": vcsim.password,
        "purpose": "",
        "tags": [],
    }
    certificate = vcsim.certificate
    components.component_store(
        spec=spec,
        certificate={"pem": certificate.pem, **certificate.to_dict()},
        about=about,
        inventory=items,
        create=True,
    )
    port_groups.port_group_settings_update(component_name="vc01", port_group_name="DC0_DVPG0", settings=SUBNET)
    from datacenters.models import ComponentType, DatacenterComponent

    # The Tenant App sample integrates with a vROps; its registration is tested elsewhere (tests/fakes/vrops.py).
    DatacenterComponent.objects.create(
        component_name="vrops01",
        component_type=ComponentType.VROPS,
        fqdn="vrops.lab.test",
        username="admin",
        password="x",
        certificate_pem="-",
        certificate_thumbprint="-",
    )
    summary = repository_files_scan(root=deploy_repository)
    assert summary is not None
    yield World(vcsim, deploy_dns, appliances, guests)
    celery_app.conf.task_default_queue = default_queue


@pytest.fixture
def finished_ok():
    def check(task: Task) -> Task:
        if task.status != Status.SUCCESS:
            raise AssertionError(f"task {task.pk} ended {task.status}: {task.message}\n{task_story(task)}")
        return task

    return check
