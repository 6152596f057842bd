"""The deployment states: one table of legal transitions, written by conditional updates, and an
environment left DEPLOYING by a failed ending hook settled by the orphan sweep."""

import json
from pathlib import Path

import pytest

from environments import services
from environments.deploy import states
from environments.models import Environment, EnvironmentState, Node, NodeState, Product
from lifecycle.engine import runner as engine
from lifecycle.engine.models import Action, Status

E = EnvironmentState
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "environments"


def _stored(environment_id: str = "env1", state: str = E.DEFINED) -> Environment:
    """An environment of one RabbitMQ product, stored as the services store it (rows only)."""
    spec = json.loads((EXAMPLES / "rabbitmq.json").read_text())["products"][0]
    environment = Environment.objects.create(environment_id=environment_id, environment_name="Env", state=state)
    product = Product.objects.create(
        environment=environment,
        product_id=spec["productId"],
        product_type=spec["productType"],
        version=spec["version"],
        spec=spec,
        state=state,
    )
    for i, node in enumerate(spec["nodes"]):
        Node.objects.create(
            product=product,
            node_id=node.get("nodeId") or node["vmName"],
            role="r",
            host_name=node["hostName"],
            vm_name=node["vmName"],
            position=i,
        )
    return environment


def test_every_event_leads_to_one_state_and_deployable_follows_the_table():
    for machine in (states.ENVIRONMENT, states.PRODUCT, states.NODE):
        assert set(machine.froms) == set(machine.to)
    assert sorted(states.PRODUCT.froms["deploy"]) == [E.DEFINED, E.FAILED]
    assert [s for s in E.values if states.product_deployable(Product(state=s))] == [E.DEFINED, E.FAILED]


@pytest.mark.django_db
def test_an_illegal_transition_is_refused_and_not_written():
    environment = _stored(state=E.DEPLOYED)
    with pytest.raises(states.TransitionRefused) as refused:
        states.environment_transition(environment_id="env1", event="deploy")
    assert "environment env1 is DEPLOYED" in refused.value.message and "'deploy'" in refused.value.message
    environment.refresh_from_db()
    assert environment.state == E.DEPLOYED
    assert states.environment_transition(environment_id="env1", event="failed", required=False) is False
    assert states.environment_transition(environment_id="env1", event="delete") is True
    assert Environment.objects.get().state == E.DELETING

    with pytest.raises(states.TransitionRefused, match="product env1/rabbitmq.* is DEPLOYED"):
        states.products_transition(environment_id="env1", event="deploy")
    assert set(Product.objects.values_list("state", flat=True)) == {E.DEPLOYED}


@pytest.mark.django_db
def test_node_events_record_the_vm_and_refuse_a_step_out_of_order():
    _stored()
    node = Node.objects.first()
    with pytest.raises(states.TransitionRefused, match=r"node env1/.* is DEFINED: the event 'guest_up'"):
        states.guest_up(node, ip_address="10.0.0.5", power_state="poweredOn")
    states.vm_recorded(node, moref="vm-1", instance_uuid="u-1", vcenter_name="vc1")
    states.vm_imported(node)
    states.guest_up(node, ip_address="10.0.0.5", power_state="poweredOn")
    stored = Node.objects.get(pk=node.pk)
    assert (stored.deploy_state, stored.vm_moref, stored.instance_uuid, stored.ip_address, stored.vcenter_name) == (
        NodeState.STARTED,
        "vm-1",
        "u-1",
        "10.0.0.5",
        "vc1",
    )
    assert node.deploy_state == NodeState.STARTED  # the instance follows
    states.vm_destroyed(node)
    stored = Node.objects.get(pk=node.pk)
    assert (stored.deploy_state, stored.instance_uuid, stored.ip_address) == (NodeState.DELETED, "", "")


@pytest.mark.django_db
def test_a_deployment_whose_ending_hook_failed_is_settled_by_the_orphan_sweep(monkeypatch):
    _stored()
    task = services.environment_deploy(environment_id="env1")
    assert Environment.objects.get().state == E.DEPLOYING
    engine.task_begin(task.pk)
    Action.objects.filter(task=task, name="prechecks").update(status=Status.ERROR, message="1 pre-check(s) failed")

    def database_gone(**kwargs):
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patched:
        patched.setattr(states, "products_transition", database_gone)
        engine.task_advance(task.pk)  # the task ends; its ending hook fails (and is logged)
        engine.orphans_sweep()  # the sweep's try of the same hook fails too: nothing half-written
    task.refresh_from_db()
    assert task.status == Status.ERROR
    assert Environment.objects.get().state == E.DEPLOYING and Product.objects.get().state == E.DEPLOYING

    engine.orphans_sweep()
    assert Environment.objects.get().state == E.FAILED and Product.objects.get().state == E.FAILED
    assert states.environment_deployable(Environment.objects.get(), Product.objects.all())


@pytest.mark.django_db
def test_the_sweep_leaves_a_running_deployment_alone():
    _stored()
    task = services.environment_deploy(environment_id="env1")
    engine.task_begin(task.pk)
    engine.orphans_sweep()
    assert Environment.objects.get().state == E.DEPLOYING and Product.objects.get().state == E.DEPLOYING
