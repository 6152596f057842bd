"""vRealize Operations Tenant App for VMware Cloud Director: one appliance between VCD and vROps."""

from products.types.base import (
    DISK_MODE,
    Integration,
    NodeRole,
    ProductType,
    plain_ovf_node_keys,
    product_type_register,
)

product_type_register(
    ProductType(
        code="VROPS_TENANT_APP",
        title="vRealize Operations Tenant App",
        repository_dir="vrops_tenant_app",
        help="One appliance, connected to a VCD and a vRealize Operations Manager.",
        node_roles=(NodeRole("appliance", "Appliance", 1, 1, primary=True),),
        appliance_module="products.appliances.vrops_tenant_app",
        appliance_steps=frozenset({"ready"}),
        ports={"https": 443},
        ovf_node_keys=plain_ovf_node_keys(),
        properties=(DISK_MODE,),
        integrations=(
            Integration("VCD", "VMware Cloud Director", required=True),
            Integration("VROPS", "vRealize Operations Manager", required=True),
        ),
    )
)
