"""Fixtures of the datacenter tests: the NSX-T Manager and vRealize Operations Manager fakes.

Imported rather than listed in `pytest_plugins`: pytest refuses `pytest_plugins` in a conftest below
the root one, and importing keeps the fakes to the tests under this directory.
"""

from tests.fakes.nsxt import nsxt, nsxt_factory  # noqa: F401
from tests.fakes.vrops import vrops, vrops_factory  # noqa: F401
