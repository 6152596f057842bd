"""The world checks of a definition: what it names must exist here (registered components, their
inventory, port group settings, stored secrets, the repository, the interop table) and its addresses
must be free. They read only what is stored here; nothing talks to vCenter (the deployment's pre-checks do)."""

from __future__ import annotations

import ipaddress
from typing import Any

from datacenters.models import ComponentType, DatacenterComponent, InventoryKind, InventoryObject
from environments.checks.fields import FieldChecks
from environments.checks.shape import INTEGRATION_FIELDS, is_ipv4, json_list
from products.types import product_type_get
from products.types.base import ProductType


class WorldChecks(FieldChecks):
    """Checks against what is stored; SpecChecker (environments.checks) runs them with the shape checks."""

    _components: dict[str, DatacenterComponent | None]
    _inventory: dict[str, list[InventoryObject]]

    def _infra_reference(self, reference: Any, path: str) -> None:
        if reference is None:
            return
        name = reference.get("vcenterName") if isinstance(reference, dict) else reference
        if not isinstance(name, str) or not name:
            self.fail("schema", path, 'must name a registered vCenter: "vc01" or {"vcenterName": "vc01"}')
            return
        self._component(name, path if isinstance(reference, str) else f"{path}.vcenterName", ComponentType.VCENTER)

    def _component(self, name: str, path: str, component_type: str | None = None) -> DatacenterComponent | None:
        if name not in self._components:
            self._components[name] = DatacenterComponent.objects.filter(component_name=name).first()
        component = self._components[name]
        if component is None:
            self.fail("placement", path, f"no datacenter component named '{name}' is registered")
            return None
        if component_type and component.component_type != component_type:
            self.fail(
                "placement",
                path,
                f"'{name}' is a {component.get_component_type_display()}, not a {ComponentType(component_type).label}",
            )
            return None
        return component

    def _objects(self, component: DatacenterComponent) -> list[InventoryObject]:
        if component.component_name not in self._inventory:
            self._inventory[component.component_name] = list(InventoryObject.objects.filter(component=component))
        return self._inventory[component.component_name]

    def _placement(self, node: dict, path: str) -> None:
        deployment, dpath = node["deployment"], f"{path}.deployment"
        before = len(self.checks)
        component = self._component(deployment["vcenterName"], f"{dpath}.vcenterName", ComponentType.VCENTER)
        if component is None:
            return
        objects = self._objects(component)
        vc = component.component_name

        def find(kind: str, name: str, *, datacenter: str | None = None, under: str | None = None):
            for obj in objects:
                if obj.kind != kind or (datacenter and obj.datacenter != datacenter):
                    continue
                if under and not obj.path.startswith(under + "/"):
                    continue
                if obj.name == name or obj.path == name:
                    return obj
            return None

        dc_name = deployment["datacenterName"]
        kind_words: dict[str, str] = {
            InventoryKind.DATACENTER: "datacenter",
            InventoryKind.CLUSTER: "cluster",
            InventoryKind.RESOURCE_POOL: "resource pool",
            InventoryKind.FOLDER: "VM folder",
            InventoryKind.DATASTORE: "datastore",
        }

        def located(kind: str, key: str, name: str, *, where: str, under: str | None = None, datacenter=dc_name):
            """The inventory object the deployment names, or None after a failure that says what is known."""
            found = find(kind, name, datacenter=datacenter, under=under)
            if found is None:
                self.fail(
                    "placement",
                    f"{dpath}.{key}",
                    f"no {kind_words[kind]} '{name}' in {where}" + _known(objects, kind, datacenter),
                )
            return found

        if (
            located(InventoryKind.DATACENTER, "datacenterName", dc_name, where=f"{vc}'s inventory", datacenter=None)
            is None
        ):
            return
        here = f"{vc}/{dc_name}"
        cluster = located(InventoryKind.CLUSTER, "clusterName", deployment["clusterName"], where=here)
        if deployment.get("resourcePool"):
            located(
                InventoryKind.RESOURCE_POOL,
                "resourcePool",
                deployment["resourcePool"],
                where=here + (f"/{cluster.name}" if cluster else ""),
                under=cluster.path if cluster else None,
            )
        if deployment.get("vmFolder"):
            located(InventoryKind.FOLDER, "vmFolder", deployment["vmFolder"], where=here)
        for i, name in enumerate(deployment["datastoreNames"]):
            located(InventoryKind.DATASTORE, f"datastoreNames[{i}]", name, where=here)
        if len(self.checks) == before:
            self.passed("placement", dpath, f"{vc}/{dc_name}/{deployment['clusterName']} exists in the inventory")
        for i, nic in enumerate(node["nics"]):
            self._network(component, nic, f"{path}.nics[{i}]", dc_name, find)

    def _network(self, component: DatacenterComponent, nic: dict, path: str, dc_name: str, find) -> None:
        name = nic["networkName"]
        if find(InventoryKind.NETWORK, name, datacenter=dc_name) is None:
            self.fail(
                "network",
                f"{path}.networkName",
                f"no port group '{name}' in {component.component_name}/{dc_name}"
                + _known(self._objects(component), InventoryKind.NETWORK, dc_name),
            )
            return
        settings = _port_group_settings(component.component_name, name)
        address = nic.get("ipAddress")
        if settings is None:
            if address:
                self.fail(
                    "network",
                    f"{path}.networkName",
                    f"port group '{name}' has no IPv4 settings: set its gateway "
                    "and subnet mask on the datacenter page first",
                )
            else:
                self.fail(
                    "network", f"{path}.ipAddress", f"required: port group '{name}' has no IPv4 settings (no DHCP)"
                )
            return
        if settings.get("useDhcp"):
            self.passed("network", path, f"port group '{name}' uses DHCP")
            return
        if not address:
            self.fail("network", f"{path}.ipAddress", f"required: port group '{name}' has static addressing")
            return
        if not is_ipv4(address):
            return  # reported by the schema check
        try:
            network = ipaddress.IPv4Network(
                f"{settings['gateway']}/{settings.get('prefixLength') or settings['subnetMask']}", strict=False
            )
        except (KeyError, TypeError, ValueError):
            self.fail("network", f"{path}.networkName", f"port group '{name}' has incomplete IPv4 settings")
            return
        ip = ipaddress.IPv4Address(address)
        if ip not in network:
            self.fail("network", f"{path}.ipAddress", f"{address} is outside port group '{name}''s subnet {network}")
        elif ip in (network.network_address, network.broadcast_address) or address == settings.get("gateway"):
            self.fail(
                "network", f"{path}.ipAddress", f"{address} is the network, broadcast or gateway address of {network}"
            )
        else:
            self.passed("network", f"{path}.ipAddress", f"{address} is inside {network}")

    def _addresses_unique(self, products: list) -> None:
        """No IP on two nics of this environment, nor taken by another stored environment."""
        seen: dict[str, str] = {}
        for p, product in enumerate(products):
            for n, node in enumerate(json_list(product, "nodes")):
                for i, nic in enumerate(json_list(node, "nics")):
                    address = nic.get("ipAddress") if isinstance(nic, dict) else None
                    if not isinstance(address, str) or not is_ipv4(address):
                        continue
                    path = f"products[{p}].nodes[{n}].nics[{i}].ipAddress"
                    if address in seen:
                        self.fail("network", path, f"{address} is also the address of {seen[address]}")
                    else:
                        seen[address] = path
        if not seen:
            return
        from environments.models import Product

        others = Product.objects.exclude(environment__environment_id=self._environment_id or "")
        for env_id, product_id, spec in others.values_list("environment__environment_id", "product_id", "spec"):
            for node in json_list(spec, "nodes"):
                for nic in json_list(node, "nics"):
                    address = nic.get("ipAddress") if isinstance(nic, dict) else None
                    if address in seen:
                        self.fail(
                            "network",
                            seen[address],
                            f"{address} is already used by {env_id}/{product_id} "
                            f"node {node.get('nodeId') or node.get('vmName')}",
                        )

    def _version(self, product_type: ProductType, product: dict, path: str) -> None:
        from products.interop import interop_deployable
        from products.selectors import repository_versions

        version = product["version"]
        allowed, versions = interop_deployable(product_type=product_type.code, version=version)
        if allowed:
            self.passed("interop", f"{path}.version", f"{product_type.code} {version} may be deployed")
        else:
            self.fail(
                "interop",
                f"{path}.version",
                f"the interop table does not allow deploying {product_type.code} "
                f"{version} (allowed: {', '.join(versions) or 'none'})",
            )
        available = repository_versions(product_type=product_type.code)
        if version in available:
            self.passed("repository", f"{path}.version", f"{product_type.code} {version} is in the repository")
        else:
            self.fail(
                "repository",
                f"{path}.version",
                f"no usable {product_type.code} {version} binary in the repository's {product_type.repository_dir}/ "
                f"directory (available: {', '.join(available) or 'none'}; scan the repository after adding it)",
            )

    def _integrations(self, products: list) -> None:
        by_id = {p.get("productId"): p for p in products if isinstance(p, dict) and isinstance(p.get("productId"), str)}
        for p, product in enumerate(products):
            if not isinstance(product, dict):
                continue
            product_type = product_type_get(product.get("productType"))
            if product_type is None:
                continue
            path = f"products[{p}].integrations"
            integrations = product.get("integrations", [])
            if not isinstance(integrations, list):
                self.fail("integration", path, "must be a list of {integrationId, ref, …}")
                continue
            allowed = {i.target: i for i in product_type.integrations}
            found: dict[str, int] = {}
            before = len(self.checks)
            for i, integration in enumerate(integrations):
                ipath = f"{path}[{i}]"
                if not self._fields(
                    "integration", integration, ipath, INTEGRATION_FIELDS, shape="an object {integrationId, ref, …}"
                ):
                    continue
                self._string(integration, "integrationId", f"{ipath}.integrationId")
                self._string(integration, "integrationUsername", f"{ipath}.integrationUsername")
                self._secret(integration, "integrationPassword", f"{ipath}.integrationPassword")
                if not self._string(integration, "ref", f"{ipath}.ref", required=True):
                    continue
                ref = integration["ref"]
                if ref in by_id:
                    target = by_id[ref].get("productType")
                else:
                    component = DatacenterComponent.objects.filter(component_name=ref).first()
                    if component is None:
                        self.fail(
                            "integration",
                            f"{ipath}.ref",
                            f"'{ref}' is neither a product of this environment nor a registered datacenter component",
                        )
                        continue
                    target = component.component_type
                if target not in allowed:
                    self.fail(
                        "integration",
                        f"{ipath}.ref",
                        f"{product_type.title} cannot integrate with a {target} "
                        f"(it takes: {', '.join(allowed) or 'no integrations'})",
                    )
                    continue
                found[target] = found.get(target, 0) + 1
                if found[target] > 1 and not allowed[target].multiple:
                    self.fail("integration", f"{ipath}.ref", f"{product_type.title} takes one {target} integration")
            for target, integration in allowed.items():
                if integration.required and not found.get(target):
                    self.fail("integration", path, f"required: an integration with a {target} ({integration.title})")
            if len(self.checks) == before and integrations:
                self.passed("integration", path, f"{len(integrations)} integration(s) resolve")


def _port_group_settings(component_name: str, port_group_name: str) -> dict | None:
    from datacenters.selectors import port_group_settings

    return port_group_settings(component_name=component_name, port_group_name=port_group_name)


def _known(objects: list[InventoryObject], kind: str, datacenter: str | None = None) -> str:
    names = sorted({o.name for o in objects if o.kind == kind and (datacenter is None or o.datacenter == datacenter)})
    return f" (known: {', '.join(names[:12])}{', …' if len(names) > 12 else ''})" if names else " (none discovered)"
