"""Every sample validates clean; each broken variant gives the right message at the right JSON path."""

import copy

import pytest

from environments.services import environment_validate
from tests.environments.conftest import SAMPLES


def failures(report: dict) -> list[tuple[str, str, str]]:
    return [(c["path"], c["check"], c["message"]) for c in report["checks"] if c["status"] == "FAIL"]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_sample_validates_clean(world, name):
    report = environment_validate(spec=SAMPLES[name], prechecks=False)
    assert failures(report) == []
    assert report["valid"] is True
    kinds = {c["check"] for c in report["checks"]}
    assert {"schema", "property", "nodes", "placement", "network", "repository", "interop"} <= kinds


def _set(path: str, value):
    def mutate(spec):
        obj = spec
        keys = path.split("/")
        for key in keys[:-1]:
            obj = obj[int(key)] if isinstance(obj, list) else obj[key]
        last = keys[-1]
        if value is DELETE:
            del obj[int(last) if isinstance(obj, list) else last]
        elif isinstance(obj, list):
            obj[int(last)] = value
        else:
            obj[last] = value

    return mutate


DELETE = object()
VCD = "products/0"
VCD_PROPS = f"{VCD}/properties"
NODE0 = f"{VCD}/nodes/0"


def _three_standbys(spec):
    nodes = spec["products"][0]["nodes"]
    nodes[2]["deploymentOption"] = "standby-small"
    extra = copy.deepcopy(nodes[2])
    extra.update(
        nodeId="node4",
        vmName="vcd-04",
        hostName="vcd-04.lab.example.com",
        nics=[{"ipAddress": "192.168.10.14", "networkName": "DC0_DVPG0"}],
    )
    nodes.append(extra)


def _second_node(spec):
    nodes = spec["products"][0]["nodes"]
    extra = copy.deepcopy(nodes[0])
    extra.update(
        nodeId="node2",
        vmName="um-02",
        hostName="um-02.lab.example.com",
        isPrimary=False,
        nics=[{"ipAddress": "192.168.10.22", "networkName": "DC0_DVPG0"}],
    )
    nodes.append(extra)


def _second_product(spec):
    spec["products"].append(copy.deepcopy(spec["products"][0]))


# (id, sample, mutation, JSON path, words the message must contain)
BROKEN = [
    ("no-name", "vcd", _set("environmentName", DELETE), "environmentName", "required"),
    ("bad-id", "vcd", _set("environmentId", "lab vcd"), "environmentId", "letters, digits"),
    ("unknown-field", "vcd", _set("colour", "blue"), "colour", "unknown field"),
    ("no-products", "vcd", _set("products", []), "products", "at least one product"),
    ("product-not-object", "vcd", _set("products/0", "vcd"), "products[0]", "must be an object"),
    ("unknown-type", "vcd", _set(f"{VCD}/productType", "NSX"), "products[0].productType", "unknown product type 'NSX'"),
    ("duplicate-product-id", "vcd", _second_product, "products[1].productId", "also the id of products[0]"),
    ("bad-version", "vcd", _set(f"{VCD}/version", "latest"), "products[0].version", "a version like"),
    ("unknown-product-field", "vcd", _set(f"{VCD}/size", "L"), "products[0].size", "unknown field"),
    (
        "missing-required-property",
        "vcd",
        _set(f"{VCD_PROPS}/dbPassword", DELETE),
        "products[0].properties.dbPassword",
        "required",
    ),
    (
        "installation-id-range",
        "vcd",
        _set(f"{VCD_PROPS}/installationId", 99),
        "products[0].properties.installationId",
        "from 1 to 63, not 99",
    ),
    (
        "installation-id-type",
        "vcd",
        _set(f"{VCD_PROPS}/installationId", "7"),
        "products[0].properties.installationId",
        "must be a whole number, not a string",
    ),
    (
        "bad-email",
        "vcd",
        _set(f"{VCD_PROPS}/adminEmail", "cloud-at-lab"),
        "products[0].properties.adminEmail",
        "not an e-mail address",
    ),
    ("bad-nfs", "vcd", _set(f"{VCD_PROPS}/nfsMount", "/vcd-transfer"), "products[0].properties.nfsMount", "host:/path"),
    (
        "unknown-property",
        "vcd",
        _set(f"{VCD_PROPS}/colour", "blue"),
        "products[0].properties.colour",
        "unknown property",
    ),
    (
        "nested-property-pattern",
        "vcd",
        _set(f"{VCD_PROPS}/publicAddress/restApiBaseUri", "http://vcd.lab"),
        "products[0].properties.publicAddress.restApiBaseUri",
        "an https:// URL",
    ),
    ("bad-choice", "vcd", _set(f"{VCD_PROPS}/diskMode", "sparse"), "products[0].properties.diskMode", "one of thin"),
    (
        "short-secret",
        "vcd",
        _set(f"{VCD_PROPS}/dbPassword", "short"),
        "products[0].properties.dbPassword",
        "at least 8",
    ),
    ("boolean-type", "vcd", _set(f"{VCD_PROPS}/enableSsh", "yes"), "products[0].properties.enableSsh", "true or false"),
    (
        "short-erlang-cookie",
        "rabbitmq",
        _set(f"{VCD_PROPS}/erlangCookie", "abc"),
        "products[0].properties.erlangCookie",
        "at least 20",
    ),
    ("no-nodes", "vcd", _set(f"{VCD}/nodes", []), "products[0].nodes", "required"),
    ("two-primaries", "vcd", _set(f"{VCD}/nodes/1/isPrimary", True), "products[0].nodes", "exactly one node"),
    ("three-standbys", "vcd", _three_standbys, "products[0].nodes", "'Standby appliance', not 3"),
    (
        "primary-option",
        "vcd",
        _set(f"{NODE0}/deploymentOption", "cell"),
        "products[0].nodes[0].deploymentOption",
        "primary-* deployment option",
    ),
    ("too-many-nodes", "usage_meter", _second_node, "products[0].nodes", "takes 1 to 1 nodes, not 2"),
    ("host-not-fqdn", "vcd", _set(f"{NODE0}/hostName", "vcd01"), "products[0].nodes[0].hostName", "fully qualified"),
    ("bad-vm-name", "vcd", _set(f"{NODE0}/vmName", "-vcd"), "products[0].nodes[0].vmName", "1–80 characters"),
    (
        "duplicate-vm-name",
        "vcd",
        _set(f"{VCD}/nodes/1/vmName", "vcd-01"),
        "products[0].nodes[1].vmName",
        "also the vmName of nodes[0]",
    ),
    ("cpu-zero", "vcd", _set(f"{NODE0}/cpuNum", 0), "products[0].nodes[0].cpuNum", "from 1 to 768"),
    ("ram-text", "vcd", _set(f"{NODE0}/ramMemory", "lots"), "products[0].nodes[0].ramMemory", "whole number of MB"),
    ("unknown-node-field", "vcd", _set(f"{NODE0}/disk", 10), "products[0].nodes[0].disk", "unknown field"),
    ("no-deployment", "vcd", _set(f"{NODE0}/deployment", DELETE), "products[0].nodes[0].deployment", "required"),
    (
        "no-datastores",
        "vcd",
        _set(
            f"{NODE0}/deployment",
            {"vcenterName": "vc01", "datacenterName": "DC0", "clusterName": "DC0_C0", "datastoreNames": []},
        ),
        "products[0].nodes[0].deployment.datastoreNames",
        "at least one datastore",
    ),
    (
        "bad-ip",
        "vcd",
        _set(f"{NODE0}/nics/0/ipAddress", "999.1.1.1"),
        "products[0].nodes[0].nics[0].ipAddress",
        "not an IPv4 address",
    ),
    ("no-nics", "vcd", _set(f"{NODE0}/nics", []), "products[0].nodes[0].nics", "at least one nic"),
    (
        "bad-route",
        "vcd",
        _set(f"{NODE0}/nics/0/staticRoutes", [{"destination": "ten", "gateway": "192.168.10.1"}]),
        "products[0].nodes[0].nics[0].staticRoutes[0].destination",
        "IPv4 network",
    ),
    (
        "ip-outside-subnet",
        "vcd",
        _set(f"{NODE0}/nics/0/ipAddress", "10.0.0.5"),
        "products[0].nodes[0].nics[0].ipAddress",
        "outside port group 'DC0_DVPG0''s subnet 192.168.10.0/24",
    ),
    (
        "ip-is-gateway",
        "vcd",
        _set(f"{NODE0}/nics/0/ipAddress", "192.168.10.1"),
        "products[0].nodes[0].nics[0].ipAddress",
        "gateway address",
    ),
    (
        "ip-reused",
        "vcd",
        _set(f"{VCD}/nodes/1/nics/0/ipAddress", "192.168.10.11"),
        "products[0].nodes[1].nics[0].ipAddress",
        "also the address of products[0].nodes[0].nics[0].ipAddress",
    ),
    (
        "unknown-vcenter",
        "vcd",
        _set(f"{NODE0}/deployment/vcenterName", "vc02"),
        "products[0].nodes[0].deployment.vcenterName",
        "no datacenter component named 'vc02'",
    ),
    (
        "vcenter-is-vrops",
        "vcd",
        _set(f"{NODE0}/deployment/vcenterName", "vrops01"),
        "products[0].nodes[0].deployment.vcenterName",
        "not a vCenter Server",
    ),
    (
        "unknown-datacenter",
        "vcd",
        _set(f"{NODE0}/deployment/datacenterName", "DC9"),
        "products[0].nodes[0].deployment.datacenterName",
        "no datacenter 'DC9' in vc01's inventory (known: DC0)",
    ),
    (
        "unknown-cluster",
        "vcd",
        _set(f"{NODE0}/deployment/clusterName", "C9"),
        "products[0].nodes[0].deployment.clusterName",
        "no cluster 'C9' in vc01/DC0 (known: DC0_C0)",
    ),
    (
        "unknown-pool",
        "vcd",
        _set(f"{NODE0}/deployment/resourcePool", "Gold"),
        "products[0].nodes[0].deployment.resourcePool",
        "no resource pool 'Gold'",
    ),
    (
        "unknown-folder",
        "vcd",
        _set(f"{NODE0}/deployment/vmFolder", "Apps"),
        "products[0].nodes[0].deployment.vmFolder",
        "no VM folder 'Apps'",
    ),
    (
        "unknown-datastore",
        "vcd",
        _set(f"{NODE0}/deployment/datastoreNames", ["SAN9"]),
        "products[0].nodes[0].deployment.datastoreNames[0]",
        "no datastore 'SAN9' in vc01/DC0 (known: LocalDS_0)",
    ),
    (
        "unknown-port-group",
        "vcd",
        _set(f"{NODE0}/nics/0/networkName", "Lab"),
        "products[0].nodes[0].nics[0].networkName",
        "no port group 'Lab'",
    ),
    (
        "port-group-without-settings",
        "vcd",
        _set(f"{NODE0}/nics/0/networkName", "VM Network"),
        "products[0].nodes[0].nics[0].networkName",
        "has no IPv4 settings",
    ),
    (
        "unknown-infra-reference",
        "vcd",
        _set(f"{VCD}/infraReference", {"vcenterName": "vc09"}),
        "products[0].infraReference.vcenterName",
        "no datacenter component named 'vc09'",
    ),
    (
        "version-not-in-repository",
        "vcd",
        _set(f"{VCD}/version", "10.4.2"),
        "products[0].version",
        "no usable VCD 10.4.2 binary in the repository's vcd/ directory (available: 10.5.1",
    ),
    (
        "version-not-in-interop",
        "vcd",
        _set(f"{VCD}/version", "10.1.0"),
        "products[0].version",
        "the interop table does not allow deploying VCD 10.1.0",
    ),
    (
        "unresolved-integration",
        "vcd",
        _set(f"{VCD}/integrations/0/ref", "vc77"),
        "products[0].integrations[0].ref",
        "neither a product of this environment nor a registered datacenter component",
    ),
    (
        "missing-required-integration",
        "vrops_tenant_app",
        _set("products/1/integrations", [{"ref": "vcd"}]),
        "products[1].integrations",
        "required: an integration with a VROPS",
    ),
    (
        "integration-not-allowed",
        "rabbitmq",
        _set(f"{VCD}/integrations", [{"ref": "vc01"}]),
        "products[0].integrations[0].ref",
        "RabbitMQ cannot integrate with a VCENTER",
    ),
    (
        "placeholder-in-new-environment",
        "vcd",
        _set(f"{VCD_PROPS}/dbPassword", "$encrypted$"),
        "products[0].properties.dbPassword",
        "only when replacing an existing environment",
    ),
    (
        "unknown-secret-ref",
        "vcd",
        _set(f"{NODE0}/rootPassword", "ref:password:feedfeed"),
        "products[0].nodes[0].rootPassword",
        "no stored secret ref:password:feedfeed",
    ),
    (
        "certificate-not-pem",
        "vcd",
        _set(f"{VCD}/certificate", {"http": {"certificate": "MIIB..."}}),
        "products[0].certificate.http.certificate",
        "PEM certificate",
    ),
    (
        "ova-property-not-string",
        "ova_appliance",
        _set(f"{VCD_PROPS}/ovfProperties/dns", 5),
        "products[0].properties.ovfProperties.dns",
        "must be a string, not a number",
    ),
    ("tags-not-strings", "vcd", _set(f"{VCD}/tags", [1, 2]), "products[0].tags", "list of strings"),
]


@pytest.mark.parametrize("sample_name,mutate,path,words", [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_variant_reports_the_problem_at_its_path(world, sample, sample_name, mutate, path, words):
    spec = sample(sample_name)
    mutate(spec)
    report = environment_validate(spec=spec, prechecks=False)
    assert report["valid"] is False
    found = failures(report)
    assert any(p == path and words in message for p, _, message in found), found


def test_an_address_used_by_another_stored_environment_is_refused(world, sample):
    from environments.services import environment_create

    environment_create(spec=sample("vcd"))
    other = sample("rabbitmq")
    other["products"][0]["nodes"][0]["nics"][0]["ipAddress"] = "192.168.10.12"
    found = failures(environment_validate(spec=other, prechecks=False))
    assert (
        "products[0].nodes[0].nics[0].ipAddress",
        "network",
        "192.168.10.12 is already used by lab-vcd/vcd node node2",
    ) in found


def test_a_report_has_one_row_per_check_and_secrets_never_appear(world, sample):
    spec = sample("vcd")
    spec["products"][0]["properties"]["dbPassword"] = "tiny"
    report = environment_validate(spec=spec, prechecks=False)
    text = str(report)
    assert "tiny" not in text.replace("tiny-", "")
    assert all(set(row) == {"check", "status", "path", "message"} for row in report["checks"])
