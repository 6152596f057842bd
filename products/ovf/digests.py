"""Files read in 1 MiB blocks through the hash functions a manifest may name; nothing is kept in memory."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

CHUNK = 1 << 20  # bytes per read
# Manifest algorithm → hashlib name (ovftool writes SHA1 or SHA256, and can write SHA512).
ALGORITHMS = {"SHA1": "sha1", "SHA256": "sha256", "SHA512": "sha512"}

Progress = Callable[[int], None]  # called with the bytes read so far, about once per MiB


class Digests:
    """Hashes a file's bytes with the algorithms its manifest line needs (all, while that is unknown)."""

    def __init__(self, algorithms):
        self.hashes = {a: hashlib.new(ALGORITHMS[a]) for a in algorithms}

    def update(self, data: bytes) -> None:
        for h in self.hashes.values():
            h.update(data)

    def hexdigests(self) -> dict[str, str]:
        return {a: h.hexdigest() for a, h in self.hashes.items()}


def file_digests(path: Path, algorithms, progress: Callable[[int], None] | None) -> tuple[dict[str, str], int]:
    """A file's hex digests by algorithm, and its size; `progress` is called with each block's length."""
    hashes, count = Digests(algorithms), 0
    with open(path, "rb") as f:
        while True:
            block = f.read(CHUNK)
            if not block:
                break
            hashes.update(block)
            count += len(block)
            if progress:
                progress(len(block))
    return hashes.hexdigests(), count
