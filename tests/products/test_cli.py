"""`lcm repository list|scan` against a live server and a real worker."""

import pytest

from tests.cli.conftest import lcm, lcm_env, logged_in, user  # noqa: F401 (the CLI tests' fixtures)
from tests.products.ova_factory import good_ova_write, ova_write, truncate


def test_an_empty_repository_says_how_to_fill_it(lcm, logged_in):
    result = lcm("repository", "list")
    assert result.code == 0, result.err
    assert result.out == (
        "The repository lists no files. Put OVAs in its product directories and run `lcm repository scan --wait`.\n"
    )
    assert lcm("repo", "list", "--json").json() == {"count": 0, "results": []}


@pytest.mark.worker
def test_scan_wait_then_list_with_filters(lcm, logged_in, repository, worker):
    good_ova_write(repository, "VCD", 1)
    good_ova_write(repository, "RABBITMQ", 14)
    bad = ova_write(repository / "vcd" / "cut.ova", name="cut", version="10.5.9", disk_size=64 * 1024)
    truncate(bad, bad.stat().st_size // 2)

    scanned = lcm("repository", "scan", "--wait")
    assert scanned.code == 0, scanned.err
    assert "3 files: 2 usable, 1 broken" in scanned.out
    assert "succeeded in" in scanned.out.splitlines()[-1]

    listed = lcm("repository", "list")
    assert listed.code == 0, listed.err
    lines = listed.out.splitlines()
    assert lines[0].split() == [
        "TYPE",
        "VERSION",
        "BUILD",
        "KIND",
        "SIZE",
        "OPTIONS",
        "NETWORKS",
        "PROPERTIES",
        "MANIFEST",
        "FILE",
    ]
    assert lines[1].split()[:4] == ["RABBITMQ", "3.8.14", "20000014", "OVA"]
    vcd = lines[2].split()
    assert vcd[:4] == ["VCD", "10.5.1", "20000001", "OVA"] and vcd[-5:] == [
        "3",
        "2",
        "14",
        "verified",
        "vcd/vcd-10.5.1.ova",
    ]
    broken = listed.out[listed.out.index("Broken (1):") :]
    assert "vcd/cut.ova" in broken and "the OVA is truncated: it ends inside cut-disk1.vmdk" in broken

    only = lcm("repository", "list", "--product-type", "rabbitmq", "--json").json()
    assert only["count"] == 1 and only["results"][0]["path"] == "rabbitmq/rabbitmq-3.8.14.ova"
    assert "descriptor" not in only["results"][0]
    assert [f["path"] for f in lcm("repo", "list", "--status", "BROKEN", "--json").json()["results"]] == ["vcd/cut.ova"]

    wrong = lcm("repository", "list", "--product-type", "nginx")
    assert wrong.code == 2 and "productType: must be one of OVA_APPLIANCE, RABBITMQ" in wrong.err

    accepted = lcm("repository", "scan", "--json").json()
    assert set(accepted) == {"taskId", "precedingTasks"}
