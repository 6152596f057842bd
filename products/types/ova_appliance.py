"""Any OVA appliance: deployed with the OVF properties the user gives, and nothing after boot."""

from products.types.base import MAP, STRING, NodeRole, ProductType, Property, plain_ovf_node_keys, product_type_register

product_type_register(
    ProductType(
        code="OVA_APPLIANCE",
        title="OVA appliance",
        repository_dir="ova_appliance",
        help="Any OVA from the repository: OVF properties, network mapping and deployment option as given.",
        min_nodes=1,
        max_nodes=16,
        node_roles=(NodeRole("appliance", "Appliance", 1, 16, primary=True),),
        # The usual appliance keys, set only where the OVA declares them; ovfProperties override them.
        ovf_node_keys=plain_ovf_node_keys(nic="{n}"),
        ovf_properties_from="ovfProperties",
        properties=(
            Property(
                "ovfProperties",
                MAP,
                default={},
                item_type=STRING,
                help="OVF property key → value. The properties the OVA marks as passwords are kept as secrets.",
            ),
            Property(
                "networkMapping",
                MAP,
                default={},
                item_type=STRING,
                help="OVF network name → port group; by default every OVF network maps to the node's first nic.",
            ),
            Property("deploymentOption", STRING, help="An OVF deployment option (configuration) of the OVA."),
        ),
    )
)
