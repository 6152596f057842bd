"""VMware Cloud Director: a primary cell, up to two standby cells (database HA) and more cells."""

from products.types.base import (
    BOOLEAN,
    DISK_MODE,
    INTEGER,
    OBJECT,
    STRING,
    Integration,
    NodeRole,
    ProductType,
    Property,
    product_type_register,
)

SUFFIX = ".VMware_vCloud_Director"
HTTPS_URL = r"https://[^\s/]+(:\d+)?(/\S*)?"
HTTP_URL = r"http://[^\s/]+(:\d+)?(/\S*)?"
HOST_PORT = r"[A-Za-z0-9.-]+(:\d{1,5})?"


def _role(node: dict) -> str:
    if node.get("isPrimary"):
        return "primary"
    option = str(node.get("deploymentOption") or "")
    return "standby" if option.startswith("standby") else "cell"


product_type_register(
    ProductType(
        code="VCD",
        title="VMware Cloud Director",
        repository_dir="vcd",
        help="A primary appliance, optional standby appliances for database high availability, and cells.",
        min_nodes=1,
        max_nodes=16,
        node_roles=(
            NodeRole("primary", "Primary appliance", 1, 1, primary=True),
            NodeRole("standby", "Standby appliance", 0, 2),
            NodeRole("cell", "Cell", 0, 13),
        ),
        node_role_of=_role,
        admin_password_required=True,  # the system administrator the primary's setup creates
        appliance_module="products.appliances.vcd",
        appliance_steps=frozenset({"ready", "setup", "finish"}),
        ports={"appliance": 5480, "cell": 443},  # the appliance API (VAMI) and the cell (VCD API)
        ovf_node_keys={
            "hostName": "vami.hostname" + SUFFIX,
            "ipAddress": "vami.ip{n}" + SUFFIX,
            "netmask": "vami.netmask{n}" + SUFFIX,
            "gateway": "vami.gateway" + SUFFIX,
            "dns": "vami.DNS" + SUFFIX,
            "domainName": "vami.domain" + SUFFIX,
            "searchPath": "vami.searchpath" + SUFFIX,
            "ntp": "vcloudapp.ntp-server" + SUFFIX,
            "rootPassword": "vcloudapp.varoot-password" + SUFFIX,
        },
        properties=(
            Property(
                "installationId",
                INTEGER,
                required=True,
                minimum=1,
                maximum=63,
                help="Installation id (1–63), unique among the VCD installations that share a network.",
            ),
            Property(
                "systemName",
                STRING,
                required=True,
                pattern=r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,127}",
                pattern_help="letters, digits, space, '_', '.', '-'",
                help="The name of this VCD installation.",
            ),
            Property(
                "dbPassword",
                STRING,
                required=True,
                secret=True,
                min_length=8,
                help="Password of the embedded PostgreSQL database.",
            ),
            Property(
                "adminUsername",
                STRING,
                required=True,
                default="administrator",
                pattern=r"[A-Za-z0-9_.-]{1,64}",
                pattern_help="letters, digits, '_', '.', '-'",
                help="The system administrator's user name.",
            ),
            Property("adminFullName", STRING, required=True, help="The system administrator's full name."),
            Property(
                "adminEmail",
                STRING,
                required=True,
                pattern=r"[^@\s]+@[^@\s]+\.[^@\s]+",
                pattern_help="an e-mail address",
                help="The system administrator's e-mail.",
            ),
            Property(
                "nfsMount",
                STRING,
                required=True,
                pattern=r"[A-Za-z0-9.-]+:/\S*",
                pattern_help="host:/path",
                help="The NFS transfer share, as host:/path.",
            ),
            DISK_MODE,
            Property(
                "enableSsh",
                BOOLEAN,
                default=False,
                ovf_key="vcloudapp.enable_ssh" + SUFFIX,
                help="Allow SSH to the appliances.",
            ),
            Property(
                "expireRootPassword",
                BOOLEAN,
                default=True,
                ovf_key="vcloudapp.expire_root_password" + SUFFIX,
                help="Force a root password change at first login.",
            ),
            Property(
                "clusterFailoverMode",
                STRING,
                default="MANUAL",
                choices=("MANUAL", "AUTOMATIC"),
                help="How the database cluster fails over to a standby; set after deployment when "
                "there is a standby appliance.",
            ),
            Property(
                "keystorePassword", STRING, secret=True, min_length=6, help="Password of the certificates keystore."
            ),
            Property(
                "publicAddress",
                OBJECT,
                help="Public endpoints of the installation.",
                children=(
                    Property("restApiBaseUri", STRING, pattern=HTTPS_URL, pattern_help="an https:// URL"),
                    Property("restApiBaseHttpUri", STRING, pattern=HTTP_URL, pattern_help="an http:// URL"),
                    Property("tenantPortalExternalAddress", STRING, pattern=HTTPS_URL, pattern_help="an https:// URL"),
                    Property(
                        "tenantPortalExternalHttpAddress", STRING, pattern=HTTP_URL, pattern_help="an http:// URL"
                    ),
                    Property("consoleProxyExternalAddress", STRING, pattern=HOST_PORT, pattern_help="host:port"),
                ),
            ),
        ),
        integrations=(
            Integration("VCENTER", "vCenter Server (resources for tenants)", multiple=True),
            Integration("NSXT", "NSX-T Manager", multiple=True),
            Integration("RABBITMQ", "RabbitMQ (AMQP notifications)"),
            Integration("VROPS", "vRealize Operations Manager"),
        ),
    )
)
