"""Datacenter components (vCenter Server, later NSX-T and vRealize Operations) and their inventory."""
