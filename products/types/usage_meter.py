"""vCloud Usage Meter: one appliance that meters the vCenters and VCDs it is connected to.

Its property set is not published; these are the settings its OVA asks for at deployment.
"""

from products.types.base import BOOLEAN, STRING, Integration, NodeRole, ProductType, Property, product_type_register

product_type_register(
    ProductType(
        code="USAGE_METER",
        title="vCloud Usage Meter",
        repository_dir="usage_meter",
        help="One appliance.",
        node_roles=(NodeRole("appliance", "Appliance", 1, 1, primary=True),),
        appliance_module="products.appliances.usage_meter",
        appliance_steps=frozenset({"ready"}),
        ports={"https": 8443},  # the web application
        ready_timeout=1200,  # its first boot initializes its database before the web application starts
        ovf_node_keys={
            "hostName": "vami.hostname",
            "ipAddress": "vami.ip{n}.vCloud_Usage_Meter",
            "netmask": "vami.netmask{n}.vCloud_Usage_Meter",
            "gateway": "vami.gateway.vCloud_Usage_Meter",
            "dns": "vami.DNS.vCloud_Usage_Meter",
            "domainName": "vami.domain.vCloud_Usage_Meter",
            "searchPath": "vami.searchpath.vCloud_Usage_Meter",
            "ntp": "ntpserver",
            "rootPassword": "root_password",
        },
        properties=(
            Property(
                "usageMeterPassword",
                STRING,
                required=True,
                secret=True,
                min_length=8,
                ovf_key="usgmtr_password",
                help="Password of the usagemeter user (the web console).",
            ),
            Property("enableFips", BOOLEAN, default=False, ovf_key="fips_mode", help="Run in FIPS mode."),
        ),
        integrations=(
            Integration("VCENTER", "vCenter Server to meter", required=True, multiple=True),
            Integration("VCD", "VMware Cloud Director to meter", multiple=True),
        ),
    )
)
