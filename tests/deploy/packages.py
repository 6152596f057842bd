"""The test packages of deployments: one generated OVA per product type (make_ova.py's descriptor with
the OVF properties the type writes), and the port group settings of the nodes' loopback subnet.

Plain module (no fixtures, no settings changes), so that bench/deploy.py can use it too.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from products.types import product_type_get

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("make_ova", REPO / "tools" / "vcsim" / "make_ova.py")
make_ova = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_ova)

DOMAIN = "lab.test"
SUBNET = {
    "portGroupName": "DC0_DVPG0",
    "gateway": "127.0.1.1",
    "subnetMask": "255.255.255.0",
    "domainName": DOMAIN,
    "searchPath": [DOMAIN],
    "useDhcp": False,
    "dns": ["127.0.1.2"],
    "ntp": ["127.0.1.3"],
}
# Product type → (sample file, version, OVF networks, deployment options)
PACKAGES = {
    "VCD": ("vcd", "10.5.1", ["Network 1", "Network 2"], ["primary-small", "standby-small", "cell"]),
    "USAGE_METER": ("usage_meter", "4.8.0", ["Network 1"], []),
    "VROPS_TENANT_APP": ("vrops_tenant_app", "8.12.0", ["Network 1"], []),
    "RABBITMQ": ("rabbitmq", "3.8.14", ["Network 1"], []),
    "OVA_APPLIANCE": ("ova_appliance", "1.0.0", ["Management"], []),
}
# The generic OVA's own secrets: OVF properties marked ovf:password="true" (one key with dots in it).
OVA_PASSWORD_KEYS = ("root_pw", "api_token", "guestinfo.seed")
DISK_BYTES = 2 << 20  # each test OVA's raw disk (random, so the VMDK is as large)
BASE_KEYS = {p["key"] for p in make_ova.BASE_PROPERTIES}


def ova_properties(code: str) -> list[dict]:
    """The OVF properties a generated OVA of this type declares: what the type writes, and a fixed one."""
    product_type = product_type_get(code)
    props = {}
    for name, key in product_type.ovf_node_keys.items():
        key = key.replace("{n}", "0")
        if key not in BASE_KEYS:
            props[key] = {"key": key, "value": "", "password": name == "rootPassword"}
    for prop in product_type.properties:
        if prop.ovf_key and prop.ovf_key not in BASE_KEYS:
            props[prop.ovf_key] = {"key": prop.ovf_key, "value": "", "password": prop.secret}
    if code == "RABBITMQ":
        props["rabbitmq_cluster_join"] = {"key": "rabbitmq_cluster_join", "value": ""}
    if code == "OVA_APPLIANCE":  # secrets by the OVA's word alone: names no rule could guess
        for key in OVA_PASSWORD_KEYS:
            props[key] = {"key": key, "value": "", "password": True}
    props["vendor.fixed"] = {"key": "vendor.fixed", "value": "factory", "userConfigurable": False}
    return list(props.values())


def ova_build(
    directory: Path, code: str, *, name: str | None = None, disk_bytes: int = DISK_BYTES, version: str | None = None
) -> Path:
    subdir, default_version, networks, options = PACKAGES[code]
    raw = directory / f"{name or subdir}.raw"
    with open(raw, "wb") as out:
        left = disk_bytes
        while left:
            block = os.urandom(min(left, 1 << 20))
            out.write(block)
            left -= len(block)
    work = directory / f"{name or subdir}-build"
    work.mkdir(parents=True, exist_ok=True)
    ova = make_ova.build(
        str(work),
        name or subdir,
        str(raw),
        product=product_type_get(code).title,
        version=version or default_version,
        build_number="1000",
        networks=networks,
        deployment_options=[{"id": o, "label": o} for o in options],
        properties=ova_properties(code),
    )
    raw.unlink()
    return Path(ova)
