"""The deployment pre-checks: what must hold in vCenter, the repository and the network before any VM
is made. The first action of every deployment runs them, and VALIDATE adds them to its report.

One report row (environments.checks.report.Check) per check, naming the JSON path it is about. Unlike the
definition checks (environments/checks/), these ask the live systems: vCenter, DNS, the node's IP address.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings
from pyVmomi import vim

from datacenters.vsphere.errors import VSphereError
from datacenters.vsphere.placement import PlacementMissing, datastore_free_bytes
from datacenters.vsphere.vms import vm_named_in_folder
from environments.checks.report import FAIL, PASS, WARN, Check
from environments.deploy import network_checks
from environments.deploy.inputs import (
    deployment_option,
    disk_bytes_needed,
    disk_provisioning,
    network_settings,
    package_for,
    placement_of,
    vcenter_component,
    vcenter_connect,
)
from environments.deploy.plan import NodeRef, nodes_of
from products.models import RepositoryFile
from products.types import appliance_ports

# Nodes already deployed are not checked for a free name or a silent IP: they are ours.
Skip = Callable[[NodeRef], bool]


def prechecks_run(
    definition: dict, *, product_ids: list[str] | None = None, skip: Skip = lambda ref: False
) -> list[Check]:
    refs = [ref for ref in nodes_of(definition, product_ids) if not skip(ref)]
    checks: list[Check] = []
    checks += _repository(refs)
    checks += _vcenters(refs)
    checks += _network(refs)
    return checks


# --- the repository ---------------------------------------------------------------------------------


def _repository(refs: list[NodeRef]) -> list[Check]:
    checks = []
    seen: set[str | tuple[str, str]] = set()
    for ref in refs:
        package = package_for(ref)
        path = f"products[{ref.product_index}].version"
        if package is None:
            if (ref.product_id, "missing") not in seen:
                seen.add((ref.product_id, "missing"))
                checks.append(
                    Check(
                        "repository",
                        FAIL,
                        path,
                        f"the repository has no usable OVA of "
                        f"{ref.product_type.code} {ref.product['version']}; add it and scan the repository",
                    )
                )
            continue
        if ref.product_id not in seen:
            seen.add(ref.product_id)
            checks.append(_package_check(package, path))
        option = deployment_option(ref)
        ids = [o["id"] for o in package.deployment_options]
        if option and option not in ids:
            checks.append(
                Check(
                    "repository",
                    FAIL,
                    f"{ref.path}.deploymentOption",
                    f"{package.path} has no deployment option '{option}' (it has: {', '.join(ids) or 'none'})",
                )
            )
    return checks


def _package_check(package, path: str) -> Check:
    file = Path(settings.LCM_REPOSITORY_DIR) / package.path
    try:
        stat = os.stat(file)
    except OSError:
        return Check(
            "repository",
            FAIL,
            path,
            f"{package.path} is gone from the repository since the last scan; scan the repository again",
        )
    if package.kind == "OVA" and (stat.st_size != package.size or abs(stat.st_mtime - package.mtime) > 1e-3):
        return Check(
            "repository",
            FAIL,
            path,
            f"{package.path} changed since the last scan; scan the repository again so that its manifest is verified",
        )
    if not package.manifest_verified:
        return Check("repository", WARN, path, f"{package.path} has no manifest: its files cannot be verified")
    return Check("repository", PASS, path, f"{package.path} is present and its manifest verified")


# --- vCenter ----------------------------------------------------------------------------------------


def _vcenters(refs: list[NodeRef]) -> list[Check]:
    """Each vCenter in its own thread. The threads only talk to vCenter: what they need from the
    database is read here first (a thread would open a database connection of its own)."""
    by_vcenter: dict[str, list[NodeRef]] = defaultdict(list)
    for ref in refs:
        by_vcenter[ref.deployment["vcenterName"]].append(ref)
    jobs, checks = [], []
    for name, group in by_vcenter.items():
        component = vcenter_component(name)
        if component is None:
            checks.append(
                Check(
                    "vcenter", FAIL, f"{group[0].path}.deployment.vcenterName", f"no registered vCenter Server '{name}'"
                )
            )
        else:
            jobs.append((name, component, [(ref, package_for(ref)) for ref in group]))
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(jobs)))) as pool:
        results = list(pool.map(lambda job: _vcenter(*job), jobs))
    return checks + [check for rows in results for check in rows]


def _vcenter(name: str, component, refs: list[tuple[NodeRef, RepositoryFile | None]]) -> list[Check]:
    first = f"{refs[0][0].path}.deployment.vcenterName"
    checks = []
    try:
        with vcenter_connect(component) as si:
            checks.append(
                Check(
                    "vcenter",
                    PASS,
                    first,
                    f"{name} ({component.fqdn}:{component.port}) answers with "
                    "the accepted certificate and the stored credentials",
                )
            )
            need: dict[str, int] = defaultdict(int)
            where: dict[str, tuple[str, vim.Datastore]] = {}
            for ref, package in refs:
                placement = _placement(si, ref, checks)
                if placement is None:
                    continue
                if package is not None:
                    key = placement.datastore._moId
                    need[key] += disk_bytes_needed(package, disk_provisioning(ref))
                    where.setdefault(key, (f"{ref.path}.deployment.datastoreNames[0]", placement.datastore))
            for key, needed in need.items():
                path, datastore = where[key]
                free = datastore_free_bytes(datastore)
                name_ds = datastore.name
                if free < needed:
                    checks.append(
                        Check(
                            "datastore",
                            FAIL,
                            path,
                            f"datastore {name_ds} has {_gib(free)} free; the nodes placed on it need {_gib(needed)}",
                        )
                    )
                else:
                    checks.append(
                        Check(
                            "datastore", PASS, path, f"datastore {name_ds} has {_gib(free)} free; {_gib(needed)} needed"
                        )
                    )
    except VSphereError as exc:
        checks.append(Check("vcenter", FAIL, first, f"{name}: {exc.message}"))
    return checks


def _placement(si, ref: NodeRef, checks: list[Check]):
    path = f"{ref.path}.deployment"
    try:
        placement = placement_of(si, ref)
    except PlacementMissing as exc:
        checks.append(Check("placement", FAIL, path, exc.message))
        return None
    checks.append(
        Check(
            "placement",
            PASS,
            path,
            f"datacenter, cluster, pool, folder, datastore and port group(s) "
            f"{', '.join(placement.networks)} exist in vCenter",
        )
    )
    existing = vm_named_in_folder(si, folder=placement.folder, name=ref.node["vmName"])
    if existing:
        checks.append(
            Check(
                "vm",
                FAIL,
                f"{ref.path}.vmName",
                f"a VM named '{ref.node['vmName']}' ({existing}) is already in folder {placement.folder.name}",
            )
        )
    else:
        checks.append(
            Check(
                "vm",
                PASS,
                f"{ref.path}.vmName",
                f"no VM named '{ref.node['vmName']}' in folder {placement.folder.name}",
            )
        )
    return placement


def _gib(n: int) -> str:
    return f"{n / (1 << 30):.2f} GiB"


# --- DNS and addresses ------------------------------------------------------------------------------


def _network(refs: list[NodeRef]) -> list[Check]:
    jobs = []
    for ref in refs:
        nics = ref.node.get("nics") or []
        ip = nics[0].get("ipAddress") if nics else None
        if not ip:
            continue
        nameservers = settings.LCM_DNS_NAMESERVERS or list(network_settings(ref).get("dns") or [])
        jobs.append((ref, ip, nameservers))

    def run(job):
        ref, ip, nameservers = job
        try:
            dns = network_checks.dns_check(ref.node["hostName"], ip, nameservers=nameservers)
        except ValueError as exc:  # e.g. a DNS server in the port group settings that is not an address
            dns = network_checks.NetworkCheck(FAIL, f"cannot check DNS: {exc}", [])
        used = network_checks.address_in_use(ip, ports=(*network_checks.DEFAULT_PORTS, *appliance_ports()))
        return [
            Check("dns", dns.status, f"{ref.path}.hostName", dns.message),
            Check("address", used.status, f"{ref.path}.nics[0].ipAddress", used.message),
        ]

    if not jobs:
        return []
    with ThreadPoolExecutor(max_workers=min(16, len(jobs))) as pool:
        return [check for rows in pool.map(run, jobs) for check in rows]
