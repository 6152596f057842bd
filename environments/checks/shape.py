"""The shape checks of a definition: fields, types, patterns and counts, as the product types
declare them; all read only the definition itself (the world checks, in world.py, take over once
a part has the right shape)."""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError

from datacenters.models import validate_fqdn
from environments.checks.fields import FieldChecks
from lifecycle.secrets import MASK, PLACEHOLDER, secret_is_ref
from products.types import product_type_codes, product_type_get
from products.types.base import BOOLEAN, INTEGER, LIST, MAP, OBJECT, STRING, ProductType, Property

PRODUCT_ID_RE = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"
VM_NAME_RE = r"[a-zA-Z0-9][a-zA-Z0-9\-_.()\[\]{}]{0,79}"
ENVIRONMENT_FIELDS = {"environmentName", "environmentId", "environmentState", "properties", "products", "description"}
PRODUCT_FIELDS = {
    "productType",
    "productId",
    "version",
    "buildNumber",
    "license",
    "adminPassword",
    "certificate",
    "integrations",
    "infraReference",
    "tags",
    "properties",
    "nodes",
    "productState",
}
NODE_FIELDS = {
    "nodeId",
    "isPrimary",
    "hostName",
    "vmName",
    "deploymentOption",
    "cpuNum",
    "ramMemory",
    "rootPassword",
    "deployment",
    "nics",
}
DEPLOYMENT_FIELDS = {
    "vcenterName",
    "datacenterName",
    "clusterName",
    "resourcePool",
    "vmFolder",
    "datastoreNames",
    "esxiHost",
}
NIC_FIELDS = {"ipAddress", "networkName", "staticRoutes"}
INTEGRATION_FIELDS = {"integrationId", "ref", "integrationUsername", "integrationPassword", "status", "properties"}
CERTIFICATE_FIELDS = {"certificate", "privateKey", "keyPassword", "thumbprint", "validFrom", "validTo"}


class ShapeChecks(FieldChecks):
    """Checks of a definition's shape; SpecChecker (environments.checks) runs them with the world checks."""

    if TYPE_CHECKING:  # what a shape check hands over to (WorldChecks)

        def _infra_reference(self, reference: Any, path: str) -> None: ...
        def _placement(self, node: dict, path: str) -> None: ...
        def _version(self, product_type: ProductType, product: dict, path: str) -> None: ...

    def _product(self, product: Any, path: str, seen_ids: dict[str, int]) -> None:
        before = len(self.checks)
        if not self._fields("schema", product, path, PRODUCT_FIELDS):
            return
        type_code = product.get("productType")
        product_type = product_type_get(type_code) if isinstance(type_code, str) else None
        if product_type is None:
            self.fail(
                "schema",
                f"{path}.productType",
                f"required: one of {', '.join(product_type_codes())}"
                if not type_code
                else f"unknown product type '{type_code}' (known: {', '.join(product_type_codes())})",
            )
            return
        if self._string(
            product,
            "productId",
            f"{path}.productId",
            required=True,
            pattern=PRODUCT_ID_RE,
            pattern_help="1–64 letters, digits, '.', '_' and '-', starting with a letter or digit",
        ):
            if product["productId"] in seen_ids:
                self.fail(
                    "schema",
                    f"{path}.productId",
                    f"'{product['productId']}' is also the id of products[{seen_ids[product['productId']]}]",
                )
            seen_ids.setdefault(product["productId"], int(path[9:-1]))
        version_ok = self._string(
            product,
            "version",
            f"{path}.version",
            required=True,
            pattern=r"\d+(\.\d+){1,3}",
            pattern_help="a version like 10.5.1",
        )
        self._string(
            product,
            "buildNumber",
            f"{path}.buildNumber",
            pattern=r"[0-9A-Za-z._-]{1,40}",
            pattern_help="digits and letters",
        )
        self._string(product, "license", f"{path}.license")
        self._secret(
            product,
            "adminPassword",
            f"{path}.adminPassword",
            required=bool(product_type and product_type.admin_password_required),
        )
        if "tags" in product and (
            not isinstance(product["tags"], list) or not all(isinstance(t, str) for t in product["tags"])
        ):
            self.fail("schema", f"{path}.tags", "must be a list of strings")
        self._certificates(product.get("certificate"), f"{path}.certificate")
        self._infra_reference(product.get("infraReference"), f"{path}.infraReference")
        if len(self.checks) == before:
            self.passed("schema", path, f"{product_type.title} fields are well formed")
        self._properties(product_type, product.get("properties", {}), f"{path}.properties")
        self._nodes(product_type, product.get("nodes"), path)
        if version_ok:
            self._version(product_type, product, path)

    def _certificates(self, certificates: Any, path: str) -> None:
        if certificates is None:
            return
        if not isinstance(certificates, dict):
            self.fail("schema", path, "must be an object of certificate name → {certificate, privateKey, …}")
            return
        for name, cert in certificates.items():
            cpath = f"{path}.{name}"
            if not self._fields("schema", cert, cpath, CERTIFICATE_FIELDS):
                continue
            if self._string(cert, "certificate", f"{cpath}.certificate", required=True):
                if "-----BEGIN CERTIFICATE-----" not in cert["certificate"]:
                    self.fail(
                        "schema", f"{cpath}.certificate", "must be a PEM certificate (-----BEGIN CERTIFICATE-----)"
                    )
            self._secret(cert, "privateKey", f"{cpath}.privateKey")
            self._secret(cert, "keyPassword", f"{cpath}.keyPassword")

    def _properties(self, product_type: ProductType, values: Any, path: str) -> None:
        if not isinstance(values, dict):
            self.fail("property", path, "must be an object")
            return
        before = len(self.checks)
        self._property_values(product_type.properties, values, path)
        if len(self.checks) == before:
            self.passed("property", path, f"{len(values)} properties of {product_type.code} are valid")

    def _property_values(self, declared: tuple[Property, ...], values: dict, path: str) -> None:
        names = {p.name for p in declared}
        for key in sorted(set(values) - names):
            self.fail("property", f"{path}.{key}", f"unknown property (known: {', '.join(sorted(names))})")
        for prop in declared:
            ppath = f"{path}.{prop.name}"
            if prop.name not in values or values[prop.name] is None:
                if prop.required and prop.default is None:
                    self.fail("property", ppath, f"required: {prop.help}" if prop.help else "required")
                continue
            self._property_value(prop, values[prop.name], ppath)

    def _property_value(self, prop: Property, value: Any, path: str) -> None:
        expected: type[Any] = {STRING: str, INTEGER: int, BOOLEAN: bool, LIST: list, OBJECT: dict, MAP: dict}[prop.type]
        if not isinstance(value, expected) or (prop.type == INTEGER and isinstance(value, bool)):
            self.fail("property", path, f"must be {_type_words(prop.type)}, not {_json_type(value)}")
            return
        if prop.type == STRING:
            if prop.secret and (value == PLACEHOLDER or secret_is_ref(value)):
                self._secret({"v": value}, "v", path)
                return
            if prop.min_length is not None and len(value) < prop.min_length:
                self.fail("property", path, f"must be at least {prop.min_length} characters long")
            if prop.max_length is not None and len(value) > prop.max_length:
                self.fail("property", path, f"must be at most {prop.max_length} characters long")
            if prop.pattern and not re.fullmatch(prop.pattern, value):
                self.fail("property", path, f"'{_shown(prop, value)}' is not {prop.pattern_help or 'valid'}")
        if prop.type == INTEGER:
            if prop.minimum is not None and value < prop.minimum or prop.maximum is not None and value > prop.maximum:
                self.fail("property", path, f"must be from {prop.minimum} to {prop.maximum}, not {value}")
        if prop.choices and value not in prop.choices:
            self.fail(
                "property", path, f"must be one of {', '.join(map(str, prop.choices))}, not '{_shown(prop, value)}'"
            )
        if prop.type == OBJECT:
            self._property_values(prop.children, value, path)
        if prop.type in (MAP, LIST):
            items = value.items() if prop.type == MAP else enumerate(value)
            item_type = {STRING: str, INTEGER: int, BOOLEAN: bool}[prop.item_type]
            for key, item in items:
                if not isinstance(item, item_type):
                    suffix = f".{key}" if prop.type == MAP else f"[{key}]"
                    self.fail(
                        "property", path + suffix, f"must be {_type_words(prop.item_type)}, not {_json_type(item)}"
                    )

    def _nodes(self, product_type: ProductType, nodes: Any, path: str) -> None:
        npath = f"{path}.nodes"
        if not isinstance(nodes, list) or not nodes:
            self.fail("nodes", npath, f"required: a list of {product_type.min_nodes} to {product_type.max_nodes} nodes")
            return
        before = len(self.checks)
        if not product_type.min_nodes <= len(nodes) <= product_type.max_nodes:
            self.fail(
                "nodes",
                npath,
                f"{product_type.title} takes {product_type.min_nodes} to "
                f"{product_type.max_nodes} nodes, not {len(nodes)}",
            )
        seen: dict[str, dict[str, int]] = {"nodeId": {}, "vmName": {}, "hostName": {}}
        good = []
        for index, node in enumerate(nodes):
            if self._node(node, f"{npath}[{index}]", seen, index):
                good.append((index, node))
        roles: dict[str, int] = {}
        for _, node in good:
            role_name = product_type.role_of(node)
            roles[role_name] = roles.get(role_name, 0) + 1
        if len(good) == len(nodes):
            primaries = [i for i, n in good if n.get("isPrimary")]
            has_primary_role = any(r.primary for r in product_type.node_roles) and len(product_type.node_roles) > 1
            if has_primary_role and len(primaries) != 1:
                self.fail("nodes", npath, f"exactly one node must have isPrimary true, not {len(primaries)}")
            for role in product_type.node_roles:
                count = roles.get(role.name, 0)
                if not role.minimum <= count <= role.maximum:
                    self.fail(
                        "nodes",
                        npath,
                        f"{product_type.title} takes {role.minimum} to {role.maximum} "
                        f"node(s) of the role '{role.title}', not {count}",
                    )
            if product_type.code == "VCD":
                for i, node in good:
                    option = str(node.get("deploymentOption") or "")
                    if node.get("isPrimary") and option and not option.startswith("primary"):
                        self.fail(
                            "nodes",
                            f"{npath}[{i}].deploymentOption",
                            f"the primary node needs a primary-* deployment option, not '{option}'",
                        )
        if len(self.checks) == before:
            summary = ", ".join(f"{n} {r}" for r, n in sorted(roles.items()))
            self.passed("nodes", npath, f"{len(nodes)} node(s): {summary}")
        for index, node in good:
            self._placement(node, f"{npath}[{index}]")

    def _node(self, node: Any, path: str, seen: dict, index: int) -> bool:
        before = len(self.checks)
        if not self._fields("nodes", node, path, NODE_FIELDS):
            return False
        self._string(
            node,
            "nodeId",
            f"{path}.nodeId",
            pattern=PRODUCT_ID_RE,
            pattern_help="1–64 letters, digits, '.', '_' and '-'",
        )
        if "isPrimary" in node and not isinstance(node["isPrimary"], bool):
            self.fail("nodes", f"{path}.isPrimary", "must be true or false")
        if self._string(node, "hostName", f"{path}.hostName", required=True):
            try:
                validate_fqdn(node["hostName"])
                if "." not in node["hostName"].rstrip(".") or is_ip(node["hostName"]):
                    raise ValidationError("")
            except ValidationError:
                self.fail("nodes", f"{path}.hostName", f"'{node['hostName']}' is not a fully qualified domain name")
        self._string(
            node,
            "vmName",
            f"{path}.vmName",
            required=True,
            pattern=VM_NAME_RE,
            pattern_help="1–80 characters: letters, digits and - _ . ( ) [ ] { }, starting with a letter or digit",
        )
        self._string(node, "deploymentOption", f"{path}.deploymentOption")
        for key, low, high, unit in (("cpuNum", 1, 768, "vCPUs"), ("ramMemory", 256, 24 * 1024 * 1024, "MB")):
            if key in node and (
                not isinstance(node[key], int) or isinstance(node[key], bool) or not low <= node[key] <= high
            ):
                self.fail("nodes", f"{path}.{key}", f"must be a whole number of {unit} from {low} to {high}")
        self._secret(node, "rootPassword", f"{path}.rootPassword")
        for key in ("nodeId", "vmName", "hostName"):
            value = node.get(key)
            if isinstance(value, str) and value:
                folded = value.lower()
                if folded in seen[key]:
                    self.fail("nodes", f"{path}.{key}", f"'{value}' is also the {key} of nodes[{seen[key][folded]}]")
                seen[key].setdefault(folded, index)
        deployment = node.get("deployment")
        if not isinstance(deployment, dict):
            self.fail(
                "nodes",
                f"{path}.deployment",
                "required: {vcenterName, datacenterName, clusterName, resourcePool, vmFolder, datastoreNames}",
            )
        else:
            dpath = f"{path}.deployment"
            for key in sorted(set(deployment) - DEPLOYMENT_FIELDS):
                self.fail("nodes", f"{dpath}.{key}", "unknown field")
            for key in ("vcenterName", "datacenterName", "clusterName"):
                self._string(deployment, key, f"{dpath}.{key}", required=True)
            for key in ("resourcePool", "vmFolder", "esxiHost"):
                self._string(deployment, key, f"{dpath}.{key}")
            names = deployment.get("datastoreNames")
            if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
                self.fail("nodes", f"{dpath}.datastoreNames", "required: a list of at least one datastore name")
        nics = node.get("nics")
        if not isinstance(nics, list) or not nics:
            self.fail("nodes", f"{path}.nics", "required: a list of at least one nic {ipAddress, networkName}")
        else:
            for i, nic in enumerate(nics):
                self._nic(nic, f"{path}.nics[{i}]")
        return len(self.checks) == before

    def _nic(self, nic: Any, path: str) -> None:
        if not self._fields("nodes", nic, path, NIC_FIELDS, shape="an object {ipAddress, networkName, staticRoutes}"):
            return
        self._string(nic, "networkName", f"{path}.networkName", required=True)
        if self._string(nic, "ipAddress", f"{path}.ipAddress"):
            if not is_ipv4(nic["ipAddress"]):
                self.fail("nodes", f"{path}.ipAddress", f"'{nic['ipAddress']}' is not an IPv4 address")
        routes = nic.get("staticRoutes", [])
        if not isinstance(routes, list):
            self.fail("nodes", f"{path}.staticRoutes", "must be a list of routes")
            return
        for i, route in enumerate(routes):
            rpath = f"{path}.staticRoutes[{i}]"
            if not isinstance(route, dict):
                self.fail("nodes", rpath, 'must be an object {"destination": "10.0.0.0/8", "gateway": "192.0.2.1"}')
                continue
            try:
                ipaddress.IPv4Network(route.get("destination", ""), strict=False)
            except ValueError:
                self.fail("nodes", f"{rpath}.destination", "must be an IPv4 network like 10.0.0.0/8")
            if not is_ipv4(route.get("gateway")):
                self.fail("nodes", f"{rpath}.gateway", "must be an IPv4 address")


def json_list(obj: Any, key: str) -> list:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, list) else []


def is_ipv4(value: Any) -> bool:
    try:
        ipaddress.IPv4Address(value)
        return True
    except (ValueError, TypeError):
        return False


def is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return False


def _shown(prop: Property, value: Any) -> str:
    return MASK if prop.secret else str(value)


def _type_words(kind: str) -> str:
    return {
        STRING: "a string",
        INTEGER: "a whole number",
        BOOLEAN: "true or false",
        LIST: "a list",
        OBJECT: "an object",
        MAP: "an object of names to values",
    }[kind]


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "null"
    return {str: "a string", int: "a number", float: "a number", list: "a list", dict: "an object"}.get(
        type(value), type(value).__name__
    )
