"""What the appliance-API tests (test_appliance_vcd, test_appliance_rabbitmq, test_appliances) and the guest
simulator's tests build their nodes with: the secrets they carry, an ApplianceNode with a log to read, and a wait."""

import time

from products.appliances.base import ApplianceNode, NotReady

ROOT = "Root-Pa55word!"
ADMIN = "Admin-Pa55word!"
DB = "Db-Pa55word!"
COOKIE = "ErlangCookie0123456789"
AMQP = "Amqp-Pa55word!"
SECRETS = (ROOT, ADMIN, DB, COOKIE, AMQP)


class Log(list):
    def __call__(self, line: str) -> None:
        self.append(line)

    def text(self) -> str:
        return "\n".join(self)


def node_make(ip, *, role, properties, product=None, root_password=ROOT, primary=None, host_name=None):
    host_name = host_name or f"host-{ip.rsplit('.', 1)[1]}.lab.example.com"
    return ApplianceNode(
        node_id=f"node-{ip}",
        ip=ip,
        host_name=host_name,
        role=role,
        is_primary=primary is None,
        root_password=root_password,
        properties=properties,
        product=product if product is not None else {"adminPassword": ADMIN},
        primary=primary,
        log=Log(),
        timeout=5,
    )


def assert_no_secret(*logs):
    text = "\n".join(log.text() for log in logs)
    for secret in SECRETS:
        assert secret not in text


def eventually(check, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.02)


def _ready(ready, node) -> bool:
    try:
        ready(node)
    except NotReady:
        return False
    return True
