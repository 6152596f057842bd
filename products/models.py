"""The repository of product binaries (what a scan found) and imported interop bundles."""

from django.db import models

from lifecycle.choices import ColoredChoices


class RepositoryFile(models.Model):
    """One file found by a scan of the repository: a deployment OVA/OVF or an upgrade package.

    Written only by the scan (``products.services.repository_files_scan``); everything else reads it.
    """

    class Kind(models.TextChoices):
        OVA = "OVA", "OVA"
        OVF = "OVF", "OVF with its files"
        UPGRADE = "UPGRADE", "Upgrade package"

        @classmethod
        def deployable(cls) -> list[str]:
            return [cls.OVA, cls.OVF]

    class FileStatus(ColoredChoices):
        OK = "OK", "success", "Usable"
        BROKEN = "BROKEN", "danger", "Broken"

    product_type = models.CharField(max_length=50, db_index=True, help_text="Product type code, e.g. VCD.")
    path = models.CharField(max_length=1000, unique=True, help_text="Relative to the repository directory.")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    size = models.BigIntegerField(help_text="Bytes; for an OVF, of the descriptor and all its files.")
    mtime = models.FloatField(help_text="Modification time when scanned.")
    # What the checksum cache compares: the size and mtime of every file of the package (and the scan's
    # format version). Equal on the next scan: nothing is read again. Empty: read it next time.
    fingerprint = models.CharField(max_length=64, blank=True, default="")
    sha256 = models.CharField(max_length=64, blank=True, help_text="Of the whole file (of the .ovf for an OVF).")
    status = models.CharField(max_length=10, choices=FileStatus.choices, db_index=True)
    problem = models.TextField(blank=True, help_text="Why the file cannot be used.")
    warnings = models.JSONField(
        default=list, blank=True, help_text="What deserves a look but does not stop a deployment."
    )
    manifest_verified = models.BooleanField(default=False)
    product_name = models.CharField(max_length=255, blank=True)
    vendor = models.CharField(max_length=255, blank=True)
    version = models.CharField(max_length=100, blank=True, db_index=True)
    build = models.CharField(max_length=100, blank=True)
    descriptor = models.TextField(blank=True, help_text="The OVF descriptor, as found.")
    deployment_options = models.JSONField(default=list, blank=True)
    networks = models.JSONField(default=list, blank=True)
    disks = models.JSONField(default=list, blank=True)
    references = models.JSONField(default=list, blank=True, help_text="The descriptor's References: id, href, size.")
    properties = models.JSONField(default=list, blank=True)
    files = models.JSONField(
        default=list, blank=True, help_text="An OVF's files (its .ovf first), relative to the repository directory."
    )
    scanned_at = models.DateTimeField()

    class Meta:
        ordering = ["product_type", "version", "path"]

    def __str__(self):
        return self.path

    status_color = FileStatus.color_property("status")

    @property
    def is_deployable(self) -> bool:
        return self.kind in self.Kind.deployable()

    @property
    def user_configurable_count(self) -> int:
        return sum(1 for p in self.properties if p.get("userConfigurable"))


class InteropBundle(models.Model):
    """An imported interop bundle: which versions may be deployed and upgraded to which. The newest wins."""

    name = models.CharField(max_length=255)
    content = models.JSONField()
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-imported_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.imported_at:%Y-%m-%d})"
