"""The product's one door to vSphere. Plain Python (no Django), so web requests, workers and tests use it
alike; every failure is one of our errors (errors.py).

- connection: reach a vCenter: its certificate (trust on first use, then pinned), login, TLS errors
- inventory: what a vCenter holds (datacenters … VM folders) and objects of a type, by PropertyCollector
- placement: the managed objects a definition's placement names
- ovf_import: the package's files, the import spec, the lease and the upload
- vms: a VM once it exists: find, read, hardware, power, its guest, destroy
- waits: waiting on vCenter without polling (WaitForUpdatesEx), e.g. for a task to end
"""
