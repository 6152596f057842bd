"""The OVF reader (products/ovf/): real make_ova.py output, hand-written descriptors, and every way a
package can be broken (descriptors alone: test_ovf_descriptor.py). No database, no worker."""

import gzip
import hashlib
import io
import os
import subprocess
import sys
import tarfile
import tracemalloc

import pytest

from products.ovf.errors import OvfError
from products.ovf.manifest import ManifestEntry, manifest_parse
from products.ovf.packages import ova_read, ovf_read
from products.ovf.upgrades import is_upgrade_name, upgrade_read, version_from_name
from tests.products.ova_factory import (
    REPO,
    VCD_PROPERTIES,
    VCD_SECTIONS,
    disk_bytes,
    make_ova,
    ova_write,
    ovf_folder_write,
    truncate,
)

MAKE_OVA = REPO / "tools" / "vcsim" / "make_ova.py"


@pytest.fixture
def raw_image(tmp_path):
    raw = tmp_path / "raw.img"
    with open(raw, "wb") as f:
        f.truncate(4 << 20)
        f.write(b"tiny appliance boot sector")
    return raw


# --- real make_ova.py output (qemu-img makes a real streamOptimized VMDK) ---


def test_the_tiny_ova_of_make_ova_reads_completely(tmp_path, raw_image, qemu_img):
    out = tmp_path / "out"
    out.mkdir()
    path = make_ova.build(out, "tiny", raw_image)
    package = ova_read(path)
    d = package.descriptor
    assert (package.kind, package.problems, package.warnings, package.manifest_verified) == ("OVA", [], [], True)
    assert (d.product_name, d.vendor, d.version, d.build) == ("Tiny Appliance", "Example", "1.0.0", "")
    assert d.virtual_systems == ["tiny"] and d.networks == [{"name": "Management", "description": "Management network"}]
    assert d.deployment_options == []
    assert [(x["diskId"], x["fileRef"], x["capacityBytes"]) for x in d.disks] == [("vmdisk1", "file1", 4 << 20)]
    vmdk = out / "tiny-disk1.vmdk"
    assert d.references == [
        {"id": "file1", "href": "tiny-disk1.vmdk", "size": vmdk.stat().st_size, "compression": "", "chunkSize": None}
    ]
    assert [p["key"] for p in d.properties] == ["hostname", "ip0", "netmask0", "gateway", "dns", "ntp", "root_password"]
    by_key = {p["key"]: p for p in d.properties}
    assert by_key["root_password"]["password"] and not by_key["hostname"]["password"]
    assert all(p["userConfigurable"] and p["category"] == "Network" for p in d.properties)
    assert (by_key["hostname"]["defaultValue"], by_key["hostname"]["label"], by_key["hostname"]["description"]) == (
        "tiny",
        "Hostname",
        "Host name",
    )
    with open(path, "rb") as f:
        assert package.sha256 == hashlib.sha256(f.read()).hexdigest()
    assert package.size == package.bytes_read == os.path.getsize(path)
    assert package.descriptor_text == (out / "tiny.ovf").read_text()
    assert sorted(os.listdir(out)) == ["tiny-disk1.vmdk", "tiny.mf", "tiny.ova", "tiny.ovf"]  # nothing extracted

    # The same package as a descriptor with its files beside it.
    beside = ovf_read(out / "tiny.ovf")
    assert (beside.kind, beside.problems, beside.manifest_verified) == ("OVF", [], True)
    assert beside.files == ["tiny.ovf", "tiny.mf", "tiny-disk1.vmdk"]
    assert beside.sha256 == hashlib.sha256((out / "tiny.ovf").read_bytes()).hexdigest()
    assert beside.descriptor.properties == d.properties


def test_make_ova_takes_product_version_build_options_networks_and_properties(tmp_path, raw_image, qemu_img):
    answer = subprocess.run(
        [
            sys.executable,
            str(MAKE_OVA),
            str(tmp_path),
            "vcd",
            str(raw_image),
            "--product",
            "VMware Cloud Director",
            "--vendor",
            "VMware, Inc.",
            "--version",
            "10.5.1",
            "--build",
            "22346795",
            "--network",
            "Network 1",
            "--network",
            "Network 2",
            "--deployment-option",
            "primary-small=Primary (small)",
            "--deployment-option",
            "cell",
            "--property",
            "vcd.db.password:password=",
            "--property",
            "appliance.type:fixed=primary",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    package = ova_read(answer.stdout.strip())
    d = package.descriptor
    assert package.usable and package.manifest_verified
    assert (d.product_name, d.vendor, d.version, d.full_version, d.build) == (
        "VMware Cloud Director",
        "VMware, Inc.",
        "10.5.1",
        "10.5.1.22346795",
        "22346795",
    )
    assert [n["name"] for n in d.networks] == ["Network 1", "Network 2"]
    assert [(o["id"], o["label"], o["default"]) for o in d.deployment_options] == [
        ("primary-small", "Primary (small)", True),
        ("cell", "cell", False),
    ]
    by_key = {p["key"]: p for p in d.properties}
    assert by_key["vcd.db.password"]["password"] and by_key["vcd.db.password"]["userConfigurable"]
    assert not by_key["appliance.type"]["userConfigurable"] and by_key["appliance.type"]["defaultValue"] == "primary"
    # The old command line still works and still makes the tiny appliance.
    assert make_ova.main([str(tmp_path), "plain", str(raw_image)]) == 0
    assert ova_read(tmp_path / "plain.ova").descriptor.product_name == "Tiny Appliance"
    assert make_ova.main([str(tmp_path), "plain"]) == 2


def test_an_ova_streams_through_in_small_pieces_and_reports_progress(tmp_path):
    path = tmp_path / "big.ova"
    big_disk = os.urandom(32 << 20)
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar:  # a 32 MiB disk, no manifest
        for name, data in (
            ("big.ovf", make_ova.ovf_xml("big", "big-disk1.vmdk", len(big_disk), 2**30).encode()),
            ("big-disk1.vmdk", big_disk),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    del big_disk
    seen = []
    tracemalloc.start()
    try:
        package = ova_read(path, progress=seen.append)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert package.usable and package.bytes_read == path.stat().st_size
    assert peak < 8 << 20, f"reading a 32 MiB OVA held {peak >> 20} MiB in memory"
    assert len(seen) >= 30 and seen == sorted(seen) and seen[-1] <= package.bytes_read


# --- manifests ---


def test_manifest_lines_of_every_known_algorithm_and_spacing_parse():
    entries = manifest_parse(f"SHA1(a.ovf)= {'a' * 40}\nSHA256(b c.vmdk) = {'B' * 64}\n\nSHA512(d)={'c' * 128}\n")
    assert entries == [
        ManifestEntry("SHA1", "a.ovf", "a" * 40),
        ManifestEntry("SHA256", "b c.vmdk", "b" * 64),
        ManifestEntry("SHA512", "d", "c" * 128),
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "SHA256(a.ovf)= " + "a" * 64 + "\nthis is not a manifest line\n",
            "manifest: line 2 of x.mf is not 'SHA256(file)= digest': 'this is not a manifest line'",
        ),
        ("MD5(a.ovf)= " + "a" * 32, "manifest: line 1 of x.mf uses MD5; only SHA1, SHA256 and SHA512 are known"),
        ("SHA256(a.ovf)= abcd", "manifest: line 1 of x.mf has a SHA256 digest of 4 hex digits, not 64"),
    ],
)
def test_an_unreadable_manifest_line_is_named(text, message):
    with pytest.raises(OvfError) as error:
        manifest_parse(text, name="x.mf")
    assert error.value.message == message


def test_an_ova_with_a_sha1_manifest_verifies(tmp_path):
    package = ova_read(ova_write(tmp_path / "a.ova", algorithm="SHA1"))
    assert package.usable and package.manifest_verified


def test_manifest_problems_are_each_reported(tmp_path):
    wrong = ova_read(ova_write(tmp_path / "wrong.ova", name="w", wrong={"w-disk1.vmdk": "ab" * 32}))
    disk = hashlib.sha256(disk_bytes(8 * 1024, "w:")).hexdigest()
    assert wrong.problems == [f"manifest: SHA256 of w-disk1.vmdk does not match (expected {'ab' * 32}, found {disk})"]
    assert not wrong.manifest_verified and not wrong.usable

    listed = b"SHA256(m.ovf)= " + b"0" * 64 + b"\nSHA256(gone.vmdk)= " + b"1" * 64 + b"\n"
    missing = ova_read(ova_write(tmp_path / "missing.ova", name="m", manifest=listed))
    assert missing.problems[1:] == [
        "manifest: gone.vmdk is listed but missing from the OVA",
        "manifest: m-disk1.vmdk is in the OVA but not in the manifest",
    ]
    assert missing.problems[0].startswith("manifest: SHA256 of m.ovf does not match")

    garbled = ova_read(ova_write(tmp_path / "garbled.ova", name="g", manifest=b"SHA256 of everything: fine\n"))
    assert garbled.problems == ["manifest: line 1 of g.mf is not 'SHA256(file)= digest': 'SHA256 of everything: fine'"]

    none = ova_read(ova_write(tmp_path / "none.ova", name="n", manifest=False))
    assert none.usable and not none.manifest_verified
    assert none.warnings == ["the OVA has no manifest (.mf): its files cannot be verified"]


def test_members_in_an_unusual_order_are_tolerated_and_reported(tmp_path):
    # disk first, then the descriptor, then the manifest: every digest is still checked.
    package = ova_read(ova_write(tmp_path / "order.ova", name="o", order=(2, 0, 1)))
    assert package.usable and package.manifest_verified
    assert package.warnings == [
        "the descriptor o.ovf is member 2 of the OVA, not the first as the OVF standard "
        "requires; vSphere may refuse to import it"
    ]


def test_a_signature_is_allowed_and_a_stray_member_is_reported(tmp_path):
    package = ova_read(
        ova_write(tmp_path / "signed.ova", name="s", extra=(("s.cert", b"-----BEGIN CERTIFICATE-----"),))
    )
    assert package.usable and package.manifest_verified
    stray = ova_read(ova_write(tmp_path / "stray.ova", name="t", extra=(("notes.txt", b"hello"),)))
    assert stray.problems == ["manifest: notes.txt is in the OVA but not in the manifest"]
    assert stray.warnings == ["notes.txt is in the OVA but the descriptor does not refer to it"]


def test_a_reference_whose_size_differs_is_reported(tmp_path):
    descriptor = make_ova.ovf_xml("r", "r-disk1.vmdk", 999, 2**30).encode()
    package = ova_read(ova_write(tmp_path / "r.ova", name="r", descriptor_bytes=descriptor))
    assert package.problems == ["descriptor: r-disk1.vmdk is 8192 bytes, the descriptor says 999"]


# --- files that are not OVAs at all ---


def test_broken_files_raise_a_plain_message(tmp_path):
    good = ova_write(tmp_path / "good.ova", name="good", disk_size=64 * 1024)
    data = good.read_bytes()
    cases = {
        "empty.ova": (b"", "the file is empty"),
        "text.ova": (b"not an ova\n" * 100, "not a tar archive (an OVA is one): "),
        "gzip.ova": (gzip.compress(data), "the file is compressed with gzip; an OVA is an uncompressed tar archive"),
        "cut-descriptor.ova": (data[:1000], "the OVA is truncated: it ends inside good.ovf (member 1)"),
        "cut-disk.ova": (data[: len(data) // 2], "the OVA is truncated: it ends inside good-disk1.vmdk (member 3)"),
        "no-descriptor.ova": (None, "the OVA holds no OVF descriptor (.ovf)"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        if content is None:
            with tarfile.open(path, "w") as tar:
                tar.add(good, arcname="something.vmdk")
        else:
            path.write_bytes(content)
        with pytest.raises(OvfError) as error:
            ova_read(path)
        assert error.value.message.startswith(message), (name, error.value.message)


def test_a_cut_at_a_member_boundary_or_junk_after_the_end_is_reported(tmp_path):
    good = ova_write(tmp_path / "good.ova", name="b")
    with tarfile.open(good) as tar:
        disk_header = tar.getmember("b-disk1.vmdk").offset
    cut = ova_read(truncate(ova_write(tmp_path / "cut.ova", name="b"), disk_header))
    assert cut.problems == [
        "manifest: b-disk1.vmdk is listed but missing from the OVA",
        "descriptor: b-disk1.vmdk (file file1) is referenced but missing from the OVA",
    ]
    assert cut.warnings == ["the tar archive has no end-of-archive marker; it may have been cut short"]

    junk = tmp_path / "junk.ova"
    junk.write_bytes(good.read_bytes() + b"appended by mistake")
    package = ova_read(junk)
    assert len(package.problems) == 1 and package.problems[0].startswith("the tar archive is damaged at byte ")


# --- descriptors with their files beside them ---


def test_an_ovf_folder_is_checked_like_an_ova(tmp_path):
    good = ovf_read(ovf_folder_write(tmp_path / "good", name="g", version="2.0.0"))
    assert good.usable and good.manifest_verified and good.descriptor.version == "2.0.0"
    assert good.size == sum(p.stat().st_size for p in (tmp_path / "good").iterdir())

    missing = ovf_read(ovf_folder_write(tmp_path / "missing", name="m", missing=("m-disk1.vmdk",)))
    assert missing.problems == [
        "manifest: m-disk1.vmdk is listed but missing from the folder of m.ovf",
        "descriptor: m-disk1.vmdk (file file1) is referenced but missing from the folder of m.ovf",
    ]
    assert missing.files == ["m.ovf", "m.mf", "m-disk1.vmdk"]

    wrong = ovf_read(ovf_folder_write(tmp_path / "wrong", name="w", wrong={"w-disk1.vmdk": "0" * 64}))
    assert wrong.problems[0].startswith(f"manifest: SHA256 of w-disk1.vmdk does not match (expected {'0' * 64}, found ")

    unlisted = ovf_read(ovf_folder_write(tmp_path / "unlisted", name="u", omit=("u.ovf",)))
    assert unlisted.problems == ["manifest: u.ovf is in the folder of u.ovf but not in the manifest"]

    bare = ovf_read(ovf_folder_write(tmp_path / "bare", name="b", manifest=False))
    assert bare.usable and not bare.manifest_verified
    assert bare.warnings == ["no manifest (b.mf) beside the descriptor: its files cannot be verified"]

    (tmp_path / "bad.ovf").write_text("<Envelope")
    with pytest.raises(OvfError, match="bad.ovf is not well-formed XML"):
        ovf_read(tmp_path / "bad.ovf")


# --- upgrade packages ---


@pytest.mark.parametrize(
    "name, version, build",
    [
        ("VMware_Cloud_Director_10.5.1.1234-upgrade.tar.gz", "10.5.1", "1234"),
        ("VMware_Cloud_Director_10.5.1.10593-22821417_update.tar.gz", "10.5.1", "22821417"),
        ("vRealize-Operations-Tenant-App-8.12.0-build-21594584.pak", "8.12.0", "21594584"),
        ("rabbitmq-3.8.14.tgz", "3.8.14", ""),
        ("usage-meter-4.8.iso", "4.8", ""),
        ("patch.zip", "", ""),
    ],
)
def test_the_version_of_an_upgrade_package_comes_from_its_name(name, version, build):
    assert version_from_name(name) == (version, build)


def test_an_upgrade_package_is_hashed(tmp_path):
    path = tmp_path / "VMware_Cloud_Director_10.5.1.1234-upgrade.tar.gz"
    path.write_bytes(disk_bytes(3 << 20, "u"))
    seen = []
    upgrade = upgrade_read(path, progress=seen.append)
    assert (upgrade.size, upgrade.version, upgrade.build) == (3 << 20, "10.5.1", "1234")
    assert upgrade.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() and seen[-1] == 3 << 20
    assert is_upgrade_name("X.TAR.GZ") and not is_upgrade_name("x.tar")


def test_the_factory_makes_what_a_vcd_ova_declares(tmp_path):
    package = ova_read(ova_write(tmp_path / "v.ova", name="v", sections=VCD_SECTIONS, properties=VCD_PROPERTIES))
    keys = [p["key"] for p in package.descriptor.properties]
    assert "vami.ip1.VMware_vCloud_Director" in keys and "vcd.db.password" in keys and package.usable
