"""The known-issue index kept on disk between runs (``IndexSnapshots``): one file under the
home directory, written whole to a temporary name and renamed over the old one, so a reader
never sees half a snapshot and two processes saving at once leave one whole file.

A snapshot is only as good as the code that wrote it: the file carries a fingerprint of the
index's and the analysis's source and of jieba's version, and one written by other code is
ignored (the index is built from the database instead, as on a first start). It is read with
``pickle``, which runs what the file says: the file is ours, in the home directory beside the
secret key, and no other path is ever read."""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import pickle
from pathlib import Path

from faultdesk.services.ports import IndexSnapshot

log = logging.getLogger("faultdesk.index")

_SRC = Path(__file__).parent.parent.parent  # src/faultdesk
_SOURCES = sorted(
    [
        *(_SRC / "adapters" / "search").glob("*.py"),
        *(_SRC / "domain" / "matching").glob("*.py"),
        _SRC / "services" / "known_issue_index.py",
    ]
)


def _fingerprint() -> str:
    digest = hashlib.sha256(importlib.metadata.version("rjieba").encode())
    for path in _SOURCES:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


FINGERPRINT = _fingerprint()


class FileIndexSnapshots:
    def __init__(self, path: Path) -> None:
        self.path = path

    def save(self, snapshot: IndexSnapshot) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f"{self.path.name}.{os.getpid()}.partial")
        try:
            with partial.open("wb") as out:
                pickle.dump(FINGERPRINT, out)  # first, alone: a foreign file is refused unread
                pickle.dump(snapshot, out, pickle.HIGHEST_PROTOCOL)
            os.replace(partial, self.path)
        finally:
            partial.unlink(missing_ok=True)

    def load(self) -> IndexSnapshot | None:
        try:
            with self.path.open("rb") as data:
                if pickle.load(data) != FINGERPRINT:  # (see the module's note)
                    log.info("known-issue index snapshot %s was written by other code: building anew", self.path)
                    return None
                snapshot = pickle.load(data)
        except FileNotFoundError:
            return None
        except Exception as exc:  # a torn or foreign file: build from the database instead
            log.warning("known-issue index snapshot %s unreadable (%s): building anew", self.path, exc)
            return None
        return snapshot if isinstance(snapshot, IndexSnapshot) else None
