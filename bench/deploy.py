"""Deployment figures against vcsim: one node with a 200 MB disk next to the floor (a plain streaming
HTTP POST of the same bytes to a vcsim lease), and a 3-node deployment next to a 1-node one.

Called by bench/__main__.py once Django is set up; it starts its own worker (with the repository and
DNS a deployment needs, and the default poll interval, as a new user has it) and a guest simulator that
brings vcsim's guests up; "guest reported → action done" is the time from the simulator reporting a guest's
IP and VMware Tools to vCenter until the node's start action has finished.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DISK = 200 * 1000 * 1000
RUNS = int(os.environ.get("BENCH_DEPLOY_RUNS", "3"))


def _worker(env: dict, log: Path) -> subprocess.Popen:
    from bench import die_with_parent

    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "lifecycle.project",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "4",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=REPO,
        env=env,
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
        preexec_fn=die_with_parent,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and " ready." not in log.read_text():
        time.sleep(0.1)
    return process


def _median(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f} s (runs: {', '.join(f'{v:.2f}' for v in values)})"


def run(simulator, data: Path, wait) -> None:
    from django.conf import settings

    from datacenters.services import components, port_groups
    from datacenters.vsphere.connection import connect
    from datacenters.vsphere.inventory import about_read, inventory_read
    from environments import services
    from lifecycle.engine.models import Status, Task
    from products.services import repository_files_scan
    from tests.deploy.packages import SUBNET, ova_build
    from tests.fakes.dns import FakeDns
    from tests.guests import GuestSimulator

    repository = data / "deploy-repository"
    build = data / "deploy-build"
    build.mkdir(parents=True, exist_ok=True)
    target = repository / "ova_appliance" / "big.ova"
    target.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    ova_build(build, "OVA_APPLIANCE", name="big", disk_bytes=DISK).rename(target)
    print(
        f"deploy: built an OVA with a {DISK / 1e6:.0f} MB disk ({target.stat().st_size / 2**20:.0f} MiB) "
        f"in {time.monotonic() - started:.1f} s"
    )
    settings.LCM_REPOSITORY_DIR = repository
    repository_files_scan(root=repository)

    with connect(
        fqdn=simulator.fqdn,
        port=simulator.port,
        username=simulator.username,
        password=simulator.password,
        certificate_pem=simulator.certificate.pem,
    ) as si:
        about = about_read(si)
        items = [item.to_dict() for item in inventory_read(si)]
    spec = {
        "componentName": "vc-deploy",
        "datacenterComponentType": "VCENTER",
        "fqdn": simulator.fqdn,
        "port": simulator.port,
        "username": simulator.username,
        "password": simulator.password,
        "purpose": "",
        "tags": [],
    }
    certificate = simulator.certificate
    components.component_store(
        spec=spec,
        certificate={"pem": certificate.pem, **certificate.to_dict()},
        about=about,
        inventory=items,
        create=True,
    )
    port_groups.port_group_settings_update(component_name="vc-deploy", port_group_name="DC0_DVPG0", settings=SUBNET)

    dns = FakeDns(records={}).start()
    guests = GuestSimulator(simulator, None, interval=0.05)
    guests.start()
    # The bench's queue (the registration part's worker has stopped): this worker's settings are a deployment's.
    env = dict(os.environ, PYTHONPATH=str(REPO), LCM_REPOSITORY_DIR=str(repository), LCM_DNS_NAMESERVERS=dns.address)
    worker = _worker(env, data / "deploy-worker.log")
    counter = iter(range(10, 250))

    def definition(nodes: int) -> dict:
        environment_id = f"bench-{next(counter)}"
        product_nodes = []
        for index in range(nodes):
            ip = f"127.0.1.{next(counter)}"
            name = f"bench-vm-{ip.rsplit('.', 1)[1]}"
            dns.records[f"{name}.lab.test"] = ip
            product_nodes.append(
                {
                    "nodeId": f"node{index + 1}",
                    "isPrimary": True,
                    "hostName": f"{name}.lab.test",
                    "vmName": name,
                    "rootPassword": "Root-Passw0rd!",
                    "deployment": {
                        "vcenterName": "vc-deploy",
                        "datacenterName": "DC0",
                        "clusterName": "DC0_C0",
                        "resourcePool": "Resources",
                        "vmFolder": "vm",
                        "datastoreNames": ["LocalDS_0"],
                    },
                    "nics": [{"ipAddress": ip, "networkName": "DC0_DVPG0"}],
                }
            )
        return {
            "environmentName": environment_id,
            "environmentId": environment_id,
            "products": [
                {
                    "productType": "OVA_APPLIANCE",
                    "productId": "big",
                    "version": "1.0.0",
                    "properties": {"ovfProperties": {}},
                    "nodes": product_nodes,
                }
            ],
        }

    def deploy(nodes: int) -> tuple[float, list[dict]]:
        spec = definition(nodes)
        started = time.monotonic()
        _, report = services.environment_submit(spec=spec, action="DEPLOY")
        task = wait(report["taskId"], timeout=300)
        elapsed = time.monotonic() - started
        if task.status != Status.SUCCESS:
            raise SystemExit(f"deploy failed: {task.message}")
        actions = list(Task.objects.get(pk=task.pk).actions.order_by("position"))
        steps.clear()
        steps.extend((a.title, (a.finished_at - a.started_at).total_seconds()) for a in actions)
        guest_waits.clear()
        guest_waits.extend(
            a.finished_at.timestamp() - guests.came_up_at[a.result["ipAddress"]]
            for a in actions
            if a.name in ("primary_start", "member_start")
        )
        return elapsed, [a.result for a in actions if a.name == "vm_import"]

    steps: list[tuple[str, float]] = []
    guest_waits: list[float] = []  # of the last deployment: guest reported up → its start action finished

    try:
        floors = [_floor(simulator, target) for _ in range(RUNS)]
        floors3 = [_floors_at_once(simulator, target, 3) for _ in range(RUNS)]
        deploy(1)  # warm-up: the worker's first deployment
        ones, uploads, threes, guest_ups = [], [], [], []
        for _ in range(RUNS):
            elapsed, imports = deploy(1)
            ones.append(elapsed)
            uploads.append(imports[0]["seconds"])
            guest_ups.extend(guest_waits)
            elapsed, _ = deploy(3)
            threes.append(elapsed)
        size = target.stat().st_size
        print(
            f"deploy: plain streaming POST of the disk to a vcsim lease (the floor): {_median(floors)}, "
            f"{size / 2**20 / statistics.median(floors):.0f} MiB/s"
        )
        print(f"deploy: three such POSTs at once, to three leases (the floor of 3 nodes): {_median(floors3)}")
        print(
            f"deploy: 1 node, the import action's upload (lease to complete): {_median(uploads)}, "
            f"{size / 2**20 / statistics.median(uploads):.0f} MiB/s"
        )
        print(
            f"deploy: 1 node, DEPLOY to SUCCESS (pre-checks, import, power on, guest up, records): {_median(ones)} "
            f"(LCM_POLL_INTERVAL={settings.LCM_POLL_INTERVAL:g} s)"
        )
        print(
            f"deploy: 1 node, guest reported → action done (the guest's IP and VMware Tools reported to vCenter "
            f"until the start action finished): {_median(guest_ups)}"
        )
        print("deploy: the last 3-node deployment's actions: " + "; ".join(f"{t} {d:.2f} s" for t, d in steps))
        print(
            f"deploy: 3 nodes, DEPLOY to SUCCESS: {_median(threes)}; "
            f"{statistics.median(threes) / statistics.median(ones):.2f}× one node"
        )
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        guests.stop()
        dns.stop()


def _floors_at_once(simulator, ova: Path, count: int) -> float:
    """`count` leases made first, then their POSTs started together: the wall time until all have ended."""
    from concurrent.futures import ThreadPoolExecutor

    from datacenters.vsphere.connection import connect

    with connect(
        fqdn=simulator.fqdn,
        port=simulator.port,
        username=simulator.username,
        password=simulator.password,
        certificate_pem=simulator.certificate.pem,
    ) as si:
        leases = [_lease(si, simulator, ova) for _ in range(count)]
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=count) as pool:
            list(pool.map(lambda lease: lease[0](), leases))
        elapsed = time.monotonic() - started
        for _, finish in leases:
            finish()
    return elapsed


def _floor(simulator, ova: Path) -> float:
    """ImportVApp by hand, then one requests POST streaming the disk straight out of the OVA; the POST's time."""
    from datacenters.vsphere.connection import connect

    with connect(
        fqdn=simulator.fqdn,
        port=simulator.port,
        username=simulator.username,
        password=simulator.password,
        certificate_pem=simulator.certificate.pem,
    ) as si:
        post, finish = _lease(si, simulator, ova)
        started = time.monotonic()
        post()
        elapsed = time.monotonic() - started
        finish()
    return elapsed


def _lease(si, simulator, ova: Path):
    """A ready import lease for the OVA: (post the disk, complete the lease and remove the VM)."""
    import requests

    from datacenters.pinned_http import PinnedAdapter
    from datacenters.vsphere import ovf_import, vms
    from datacenters.vsphere.connection import pinned_context
    from datacenters.vsphere.placement import placement_resolve
    from products.ovf.packages import ova_read

    package = ova_read(ova)
    files = ovf_import.package_files(ova, kind="OVA")
    placement = placement_resolve(si, datacenter="DC0", cluster="DC0_C0", datastore="LocalDS_0", networks=["DC0_DVPG0"])
    spec = ovf_import.import_spec_create(
        si,
        descriptor=package.descriptor_text,
        placement=placement,
        entity_name=f"floor-{time.monotonic_ns()}",
        network_mapping={"Management": "DC0_DVPG0"},
        properties={},
    )
    lease = placement.pool.ImportVApp(spec.spec, placement.folder, None)
    while lease.state != "ready":
        time.sleep(0.02)
    item = spec.file_items[0]
    vm = lease.info.entity
    url = next(d.url for d in lease.info.deviceUrl if d.importKey == item.deviceId)
    url = url.replace("*", f"{simulator.fqdn}:{simulator.port}")
    source = files[item.path]
    session = requests.Session()
    session.mount("https://", PinnedAdapter(pinned_context(certificate_pem=simulator.certificate.pem)))

    class Body:
        def __len__(self):
            return source.size

        def __iter__(self):
            return source.chunks()

    def post() -> None:
        response = session.post(url, data=Body(), headers={"Content-Type": "application/x-vnd.vmware-streamVmdk"})
        response.raise_for_status()

    def finish() -> None:
        lease.HttpNfcLeaseComplete()
        vms.vm_destroy(si, moref=vm._moId)

    return post, finish
