"""Reading OVF packages and upgrade packages. Pure Python, no Django.

- packages: an OVA (a tar, one streaming pass) or a descriptor with its files beside it, read and checked
- descriptor: what an OVF descriptor declares (product, version, options, networks, disks, properties)
- manifest: the .mf lines, and how the files found compare with them
- digests: files read in 1 MiB blocks through the hash functions a manifest names
- upgrades: upgrade packages: size, SHA-256, and the version and build in their name
- errors: OvfError, for a file that cannot be used at all
"""
