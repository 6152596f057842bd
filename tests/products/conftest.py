"""The session's repository directory (lifecycle/project/test_settings.py: LCM_REPOSITORY_DIR under the
session's directory), seen alike by this process and every worker, which are handed it; it scanned; and the
quick waits of the appliance-API tests."""

import shutil
import subprocess

import pytest
from django.conf import settings

from products import services
from products.types import product_types
from tests.products.ova_factory import repository_fill

REPOSITORY = settings.LCM_REPOSITORY_DIR


@pytest.fixture
def repository():
    """The session's repository directory, emptied, with one directory per product type."""
    if REPOSITORY.is_dir():
        shutil.rmtree(REPOSITORY)
    elif REPOSITORY.exists():
        REPOSITORY.unlink()
    for product_type in product_types():
        (REPOSITORY / product_type.repository_dir).mkdir(parents=True)
    return REPOSITORY


@pytest.fixture
def scanned(repository):
    """The repository filled with test files and scanned: what the scan should have found."""
    expected = repository_fill(repository)
    services.repository_files_scan(root=repository)
    return expected


@pytest.fixture
def quick(settings):
    """Poll fast, and give setups a few seconds (tests that wait for a timeout shorten it further).

    Not autouse: only the appliance-API modules ask for it (`pytestmark`), the scan, OVF and page tests
    keep the settings they had."""
    settings.LCM_POLL_INTERVAL = 0.05
    settings.LCM_TIMEOUTS = {"VCD.setup": 5, "RABBITMQ.setup": 5}


@pytest.fixture(scope="session")
def qemu_img():
    """make_ova.py needs qemu-img: `make test` installs it (Debian qemu-utils, through tools/vcsim/build.sh)."""
    path = shutil.which("qemu-img")
    if path is None:
        pytest.fail(
            "qemu-img is missing: install Debian's qemu-utils (tools/vcsim/build.sh does, as root)", pytrace=False
        )
    subprocess.run([path, "--version"], check=True, stdout=subprocess.DEVNULL)
    return path


def pytest_terminal_summary(terminalreporter):
    """The scan times the scan tests measured, for people watching speed."""
    from tests.products.test_scan import TIMINGS

    if TIMINGS:
        terminalreporter.write_line(
            "repository scan of 60 files (50 good OVAs, 8 broken, an OVF, an upgrade): "
            + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in TIMINGS.items())
        )
