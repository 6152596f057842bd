"""lcm datacenter/certificate against a real server, a real worker and a real vCenter API (vcsim)."""

import json

import certifi
import pytest

from datacenters.models import DatacenterComponent

pytestmark = [pytest.mark.vcsim]


def _spec(vcsim, tmp_path, *, name="vc1", thumbprint=True, password=None, filename="spec.json"):
    spec = {
        "componentName": name,
        "datacenterComponentType": "VCENTER",
        "fqdn": vcsim.fqdn,
        "port": vcsim.port,
        "username": vcsim.username,
        "password": password or vcsim.password,
        "purpose": "lab",
        "tags": ["cli"],
    }
    if thumbprint:
        spec["content"] = {"certificate": {"thumbprint": vcsim.certificate.thumbprint}}
    path = tmp_path / filename
    path.write_text(json.dumps(spec))
    return path


def test_certificate_probe_shows_what_vcsim_presents(lcm, logged_in, vcsim):
    result = lcm("certificate", "probe", vcsim.fqdn, "--port", str(vcsim.port))
    assert result.code == 0, result.err
    assert f"Thumbprint:  {vcsim.certificate.thumbprint}" in result.out and "CN=vcsim.test" in result.out
    assert f"--accept-certificate {vcsim.certificate.thumbprint}" in result.out
    data = lcm("certificate", "probe", vcsim.fqdn, "--port", str(vcsim.port), "--json").json()
    assert data["thumbprint"] == vcsim.certificate.thumbprint


@pytest.mark.worker
def test_register_with_wait_then_get_list_and_a_second_registration(lcm, logged_in, vcsim, worker, tmp_path):
    result = lcm("datacenter", "register", "-f", str(_spec(vcsim, tmp_path)), "--wait")
    assert result.code == 0, result.err
    assert "SUCCESS          Store the component and its inventory" in result.out
    assert "succeeded in" in result.out.splitlines()[-1]

    shown = lcm("datacenter", "get", "vc1")
    assert shown.code == 0, shown.err
    out = shown.out
    assert "Name:        vc1" in out and f"Address:     {vcsim.fqdn}:{vcsim.port}" in out
    assert f"Thumbprint:  {vcsim.certificate.thumbprint}" in out
    assert "Inventory: 1 datacenter, 1 cluster, " in out
    datastores = out[out.index("Datastores") :].splitlines()
    assert datastores[1].split() == ["NAME", "CAPACITY", "GiB", "FREE", "GiB", "PATH"]
    assert datastores[2].split()[0] == "LocalDS_0" and float(datastores[2].split()[1]) > 0
    assert "DC0" in out and "DC0_C0" in out and "VM Network" in out
    assert vcsim.password not in out and "$encrypted$" not in out

    component = lcm("datacenter", "get", "vc1", "--json").json()
    assert component["componentName"] == "vc1" and component["password"] == "$encrypted$"
    assert "DC0" in [d["name"] for d in component["content"]["datacenters"]]

    listing = lcm("dc", "list")
    assert listing.out.splitlines()[1].split()[:3] == ["vc1", "VCENTER", f"{vcsim.fqdn}:{vcsim.port}"]
    assert lcm("dc", "list", "--json").json()["count"] == 1

    again = lcm("datacenter", "register", "-f", str(_spec(vcsim, tmp_path)))
    assert again.code == 2
    assert again.err == "error: componentName: a datacenter component named 'vc1' already exists\n"


def test_register_without_a_thumbprint_shows_the_certificate_and_how_to_accept_it(lcm, logged_in, vcsim, tmp_path):
    result = lcm("datacenter", "register", "-f", str(_spec(vcsim, tmp_path, thumbprint=False)))
    assert result.code == 2
    thumbprint = vcsim.certificate.thumbprint
    assert result.err.startswith("error: content.certificate.thumbprint: required")
    assert f"{vcsim.fqdn}:{vcsim.port} presents this certificate:" in result.err
    assert f"Thumbprint:  {thumbprint}" in result.err and "Subject:     CN=vcsim.test" in result.err
    assert f'"content": {{"certificate": {{"thumbprint": "{thumbprint}"}}}}' in result.err
    assert f"--accept-certificate {thumbprint}" in result.err
    assert not DatacenterComponent.objects.exists()

    wrong = lcm(
        "datacenter",
        "register",
        "-f",
        str(_spec(vcsim, tmp_path, thumbprint=False)),
        "--accept-certificate",
        "AA:" * 31 + "AA",
    )
    assert wrong.code == 2 and "does not match" in wrong.err and f"--accept-certificate {thumbprint}" in wrong.err


@pytest.mark.worker
def test_validate_from_stdin_with_an_accepted_certificate(lcm, logged_in, vcsim, worker, tmp_path):
    spec = _spec(vcsim, tmp_path, thumbprint=False).read_text()
    result = lcm(
        "datacenter",
        "validate",
        "-f",
        "-",
        "--accept-certificate",
        vcsim.certificate.thumbprint,
        "--wait",
        "--json",
        stdin=spec,
    )
    assert result.code == 0, result.err
    task = json.loads(result.out)  # with --json, only the task at its end
    assert task["status"] == "SUCCESS" and task["operation"] == "datacenter.validate"
    assert not DatacenterComponent.objects.exists()  # validating stores nothing


@pytest.mark.worker
def test_a_registration_with_a_wrong_password_fails_and_watch_says_why(lcm, logged_in, vcsim, worker, tmp_path):
    started = lcm("datacenter", "register", "-f", str(_spec(vcsim, tmp_path, password="wrong-password")), "--json")
    assert started.code == 0, started.err
    task_id = started.json()["taskId"]
    text = lcm("datacenter", "register", "-f", str(_spec(vcsim, tmp_path, name="vc2", password="wrong-password")))
    assert "Task " in text.out and "lcm task watch" in text.out

    watched = lcm("task", "watch", str(task_id))
    assert watched.code == 1
    assert f"error: task {task_id} (Register vCenter Server) failed" in watched.err
    assert "Connect and log in: ERROR" in watched.err
    assert "wrong-password" not in watched.out + watched.err

    listed = lcm("task", "list", "--status", "ERROR", "--target", "vc1", "--json").json()
    assert [t["id"] for t in listed["results"]] == [task_id]
    detail = lcm("task", "get", str(task_id)).out
    assert "Status:     ERROR" in detail and "Target:     datacenter vc1" in detail
    rows = detail[detail.index("STATUS  ") :].splitlines()[1:]
    assert [r.split()[0] for r in rows] == ["SUCCESS", "ERROR", "NOT_STARTED", "NOT_STARTED", "NOT_STARTED"]
    assert json.loads(lcm("task", "request", str(task_id)).out)["password"] == "$encrypted$"


@pytest.mark.worker
def test_discover_then_delete(lcm, logged_in, vcsim, worker, tmp_path):
    assert lcm("datacenter", "register", "-f", str(_spec(vcsim, tmp_path)), "--wait").code == 0
    assert lcm("datacenter", "discover", "vc1", "--wait").code == 0

    refused = lcm("datacenter", "delete", "vc1", stdin="")  # no terminal to ask on
    assert refused.code == 2 and "pass --yes" in refused.err
    result = lcm("datacenter", "delete", "vc1", "--yes", "--wait")
    assert result.code == 0, result.err
    gone = lcm("datacenter", "get", "vc1")
    assert gone.code == 2 and gone.err == "error: no datacenter component named 'vc1'\n"
    assert lcm("datacenter", "discover", "vc1").code == 2


@pytest.mark.worker
def test_update_changes_a_registered_component(lcm, logged_in, vcsim, worker, tmp_path):
    assert lcm("datacenter", "register", "-f", str(_spec(vcsim, tmp_path)), "--wait").code == 0
    result = lcm(
        "datacenter",
        "update",
        "vc1",
        "-f",
        "-",
        "--wait",
        stdin=json.dumps({"componentName": "vc1", "purpose": "production"}),
    )
    assert result.code == 0, result.err
    assert "Purpose:     production" in lcm("datacenter", "get", "vc1").out


def test_an_https_server_with_a_private_ca_is_trusted_only_with_ca_file(lcm, vcsim, vcsim_tls, monkeypatch):
    """vcsim stands in for a lifecycle manager behind HTTPS with a private CA: TLS is what is tested here."""
    monkeypatch.setenv("LCM_TOKEN", "x")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())  # must not override --ca-file / --insecure
    server = f"https://{vcsim.fqdn}:{vcsim.port}"
    untrusted = lcm("--server", server, "about")
    assert untrusted.code == 3
    assert untrusted.err.startswith(f"error: cannot reach {server}: its TLS certificate is not trusted")
    assert "--ca-file" in untrusted.err

    trusted = lcm("--server", server, "--ca-file", str(vcsim_tls.cert), "about")
    assert trusted.code == 2 and f"{server}/api/v1/about does not exist" in trusted.err  # past TLS: vcsim has no API
    insecure = lcm("--server", server, "--insecure", "about")
    assert insecure.code == 2 and "warning: the server's TLS certificate is not verified (--insecure)" in insecure.err

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    broken = lcm("--server", server, "about")
    assert broken.code == 2 and "/nonexistent/ca.pem" in broken.err and "Traceback" not in broken.err
