"""RabbitMQ (Bitnami appliance): a cluster of nodes that VCD uses for AMQP notifications.

Its property set is not published; these are what a cluster needs: a user, a vhost, an Erlang cookie.
"""

from products.types.base import (
    INTEGER,
    STRING,
    NodeRole,
    ProductType,
    Property,
    plain_ovf_node_keys,
    product_type_register,
)

product_type_register(
    ProductType(
        code="RABBITMQ",
        title="RabbitMQ",
        repository_dir="rabbitmq",
        help="A cluster of 1 to 7 nodes; the primary starts the cluster and the others join it.",
        min_nodes=1,
        max_nodes=7,
        node_roles=(
            NodeRole("primary", "First node", 1, 1, primary=True),
            NodeRole("member", "Member node", 0, 6),
        ),
        node_role_of=lambda node: "primary" if node.get("isPrimary") else "member",
        appliance_module="products.appliances.rabbitmq",
        appliance_steps=frozenset({"ready", "setup"}),
        ports={"management": 15672},  # the management HTTP API
        # A member joins the primary's cluster at boot (with the shared erlang cookie).
        member_ovf=lambda primary: {"rabbitmq_cluster_join": f"rabbit@{primary['hostName'].split('.')[0]}"},
        ready_timeout=600,
        setup_timeout=600,  # a member joining the cluster
        ovf_node_keys=plain_ovf_node_keys(search_path=False),
        properties=(
            Property(
                "username",
                STRING,
                required=True,
                default="vcd",
                pattern=r"[A-Za-z0-9_.-]{1,64}",
                pattern_help="letters, digits, '_', '.', '-'",
                ovf_key="rabbitmq_username",
                help="The AMQP user VCD connects as.",
            ),
            Property(
                "password",
                STRING,
                required=True,
                secret=True,
                min_length=8,
                ovf_key="rabbitmq_password",
                help="The AMQP user's password.",
            ),
            Property(
                "vhost",
                STRING,
                default="/",
                pattern=r"/?[A-Za-z0-9_.-]{0,64}",
                pattern_help="a vhost name",
                help="The virtual host.",
            ),
            Property(
                "erlangCookie",
                STRING,
                required=True,
                secret=True,
                min_length=20,
                pattern=r"[A-Za-z0-9]+",
                pattern_help="letters and digits",
                ovf_key="erlang_cookie",
                help="The shared secret the cluster's nodes join with.",
            ),
            Property(
                "amqpPort", INTEGER, default=5672, minimum=1, maximum=65535, ovf_key="amqp_port", help="The AMQP port."
            ),
        ),
    )
)
