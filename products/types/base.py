"""What a product type declares: its properties, node roles, OVF mapping and integrations.

A product type is one module in this package that builds a ``ProductType`` and registers it; nothing
else in the code names a type. Which versions exist and may be upgraded to which comes from the
interop bundle (``products/interop.py``), not from here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from products.appliances.base import ApplianceApi

# Property types a declaration may use.
STRING, INTEGER, BOOLEAN, LIST, OBJECT, MAP = "string", "integer", "boolean", "list", "object", "map"


def plain_ovf_node_keys(*, nic: str = "0", search_path: bool = True) -> dict[str, str]:
    """``ovf_node_keys`` as many appliances name their OVF properties (hostname, ip0, netmask0, gateway, dns …).

    `nic` "{n}" sets an address for every nic (ip0, ip1 …); "0" only the first nic's. `search_path`
    False for an appliance without a DNS search path property.
    """
    keys = {
        "hostName": "hostname",
        "ipAddress": f"ip{nic}",
        "netmask": f"netmask{nic}",
        "gateway": "gateway",
        "dns": "dns",
        "domainName": "domain",
        "searchPath": "searchpath",
        "ntp": "ntp",
        "rootPassword": "root_password",
    }
    if not search_path:
        del keys["searchPath"]
    return keys


@dataclass(frozen=True)
class Property:
    """One product-specific property (``products[].properties.<name>``)."""

    name: str
    type: str = STRING
    required: bool = False
    default: Any = None
    secret: bool = False
    help: str = ""
    pattern: str | None = None  # a regex the whole value must match (strings)
    pattern_help: str = ""  # how the rule reads to a person
    minimum: int | None = None
    maximum: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    choices: tuple[Any, ...] | None = None
    ovf_key: str | None = None  # the OVF property this setting is written to at deployment
    children: tuple[Property, ...] = ()  # for OBJECT
    item_type: str = STRING  # for LIST / MAP values


# The fields of every product spec that hold secrets (a type adds its properties marked ``secret``).
PRODUCT_SECRETS = (
    "adminPassword",
    "certificate.*.privateKey",
    "certificate.*.keyPassword",
    "integrations[*].integrationPassword",
    "nodes[*].rootPassword",
)


# How a node's disks are provisioned (the deployment reads it: environments/deploy/inputs.disk_provisioning);
# the types whose OVAs may be thin or thick take it as one of their properties.
DISK_MODE = Property(
    "diskMode",
    STRING,
    default="thin",
    choices=("thin", "thick", "eagerZeroedThick"),
    help="Disk provisioning.",
)


@dataclass(frozen=True)
class NodeRole:
    """A role nodes of a product play, and how many of them a product may have."""

    name: str
    title: str
    minimum: int
    maximum: int
    # Which nodes hold this role: decided from the node's fields (isPrimary, role …).
    primary: bool = False


@dataclass(frozen=True)
class Integration:
    """Something a product can be connected to: a datacenter component type or another product type."""

    target: str  # VCENTER, NSXT, VROPS (components) or a product type code (RABBITMQ …)
    title: str
    required: bool = False
    multiple: bool = False


@dataclass(frozen=True)
class ProductType:
    code: str  # VCD
    title: str  # VMware Cloud Director
    repository_dir: str  # "vcd": the sub-directory of the binaries repository
    properties: tuple[Property, ...]
    node_roles: tuple[NodeRole, ...]
    integrations: tuple[Integration, ...] = ()
    min_nodes: int = 1
    max_nodes: int = 1
    # Which node field decides the role: nodes are primary (isPrimary) or take the other role(s).
    node_role_of: Callable[[dict], str] | None = None
    # Node setting → OVF property key (per nic index where "{n}" appears).
    ovf_node_keys: dict[str, str] = field(default_factory=dict)
    help: str = ""
    # Deployment: the module whose ``appliance`` (an ApplianceApi) sets the appliance up after boot ("":
    # nothing after the guest is up), the steps that API has (ready, setup, finish), and how long to wait
    # (seconds; each can be overridden with LCM_TIMEOUTS, e.g. "VCD.guest=1800,VCD.ready=1200").
    # The module is imported on first use: the registry, and a task's plan (which reads the steps), load no
    # HTTP or vSphere client. Every node's OVF is imported at once; the primary is then started and set up
    # first, and the other nodes after it, all at the same time.
    appliance_module: str = ""
    appliance_steps: frozenset[str] = frozenset()
    # The appliance's own TCP ports by name, as the product listens in production ({"cell": 443}). The
    # appliance API code reads them through port(); LCM_APPLIANCE_PORTS can point them elsewhere.
    ports: dict[str, int] = field(default_factory=dict)
    # OVF values a non-primary node takes from its product's primary node (e.g. the cluster to join):
    # primary node's definition → {OVF key: value}.
    member_ovf: Callable[[dict], dict[str, str]] | None = None
    # A MAP property of OVF key → value set on the VM as given (the generic OVA's "ovfProperties"); its
    # secrets are the keys that the package marks ovf:password="true", whatever they are called.
    ovf_properties_from: str = ""
    # Whether the product's setup needs its administrator's password (``adminPassword``).
    admin_password_required: bool = False
    guest_timeout: int = 900  # power on → VMware Tools running and the guest's IP
    ready_timeout: int = 900  # guest up → the appliance's own endpoint answers
    setup_timeout: int = 1800  # one node's product setup

    def timeout(self, kind: str) -> float:
        """guest, ready or setup: the declared value unless LCM_TIMEOUTS overrides it for this type."""
        from django.conf import settings

        override = settings.LCM_TIMEOUTS.get(f"{self.code}.{kind}")
        return float(override) if override is not None else float(getattr(self, f"{kind}_timeout"))

    def port(self, name: str) -> int:
        """A declared port of the appliance, unless LCM_APPLIANCE_PORTS overrides it ("VCD.cell=10443")."""
        from django.conf import settings

        override = settings.LCM_APPLIANCE_PORTS.get(f"{self.code}.{name}")
        return int(override) if override is not None else self.ports[name]

    @property
    def appliance(self) -> ApplianceApi | None:
        if not self.appliance_module:
            return None
        api = importlib.import_module(self.appliance_module).appliance
        steps = frozenset(step for step in ("ready", "setup", "finish") if getattr(api, step))
        if steps != self.appliance_steps:
            raise ValueError(
                f"product type {self.code} declares the appliance steps {sorted(self.appliance_steps)}, "
                f"but {self.appliance_module} has {sorted(steps)}"
            )
        return api

    def property(self, name: str) -> Property | None:
        return next((p for p in self.properties if p.name == name), None)

    def secret_paths(self, product: dict) -> list[str]:
        """The JSON paths inside a product spec that hold secrets (see lifecycle.secrets): the fields
        every product has, this type's properties marked secret, and, where the type takes OVF
        properties as given (``ovf_properties_from``), those the package marks ovf:password="true"."""
        paths = list(PRODUCT_SECRETS)

        def walk(props: tuple[Property, ...], path: str) -> None:
            for prop in props:
                if prop.secret:
                    paths.append(f"{path}.{prop.name}")
                walk(prop.children, f"{path}.{prop.name}")

        walk(self.properties, "properties")
        given = (product.get("properties") or {}).get(self.ovf_properties_from) if self.ovf_properties_from else None
        if isinstance(given, dict) and given:
            from lifecycle.secrets import path_join

            passwords = self.ovf_password_keys(product.get("version"))
            base = f"properties.{self.ovf_properties_from}"
            paths.extend(path_join(base, str(key)) for key in given if passwords is None or key in passwords)
        return paths

    def ovf_password_keys(self, version: Any) -> frozenset[str] | None:
        """The OVF properties that this type's package of ``version`` marks ovf:password="true". None when
        the repository has no such package: then every OVF value given counts as a secret, so that nothing
        that may be one is ever shown or stored in clear."""
        from products.selectors import repository_file_for

        package = (
            repository_file_for(product_type=self.code, version=version)
            if isinstance(version, str) and version
            else None
        )
        if package is None:
            return None
        return frozenset(p["key"] for p in package.properties if p.get("password"))

    def role_of(self, node: dict) -> str:
        if self.node_role_of:
            return self.node_role_of(node)
        return self.node_roles[0].name


_TYPES: dict[str, ProductType] = {}


def product_type_register(product_type: ProductType) -> ProductType:
    if product_type.code in _TYPES:
        raise ValueError(f"product type {product_type.code} is registered twice")
    _TYPES[product_type.code] = product_type
    return product_type
