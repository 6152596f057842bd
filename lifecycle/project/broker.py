"""kombu's file-system transport, with messages written atomically.

kombu creates a message file and only then locks and writes it; a worker polling in between reads
an empty file and dies on the JSON error (kombu issue #1551). Here a message is written under a name
the reader ignores and renamed into place, so a reader sees either no file or the whole message.
Used by the embedded default (`filesystem://` in CELERY_BROKER_URL), registered as `lcmfs://`.
"""

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

ALIAS = "lcmfs"


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):  # type: ignore[override]  # kombu's own file channel names it so
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".partial-{uuid.uuid4()}")  # no ".<queue>.msg": ignored
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel


TRANSPORT_ALIASES.setdefault(ALIAS, "lifecycle.project.broker:Transport")
