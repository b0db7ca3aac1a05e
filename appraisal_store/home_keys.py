"""Keys a deployment signs with: from ``APPRAISAL_SECRET_KEY``, else a file in the home.

With ``APPRAISAL_SECRET_KEY`` set (every machine of a deployment must share it) each use
gets its own key derived from it; otherwise one made at random is kept in
``APPRAISAL_HOME/portal.key`` (mode 0600), shared by the processes of one machine.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from functools import lru_cache
from pathlib import Path

from .config import settings

KEY_FILE = "portal.key"


@lru_cache(maxsize=8)
def _key(secret_key: str | None, home: Path, purpose: bytes) -> bytes:
    if secret_key:
        return hashlib.sha256(purpose + b"\0" + secret_key.encode("utf-8")).digest()
    path = home / KEY_FILE
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        # Made aside and linked into place: two processes starting at once agree on one key.
        temporary = home / f"{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_bytes(32))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return hashlib.sha256(purpose + b"\0" + path.read_bytes()).digest()


def home_key(purpose: bytes) -> bytes:
    """The deployment's key for one ``purpose`` (such as ``b"pre-session-csrf"``)."""
    config = settings()
    return _key(config.secret_key, config.home.resolve(), purpose)
