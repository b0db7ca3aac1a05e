"""The CSRF token of the forms shown before sign-in: minted and signed by the server.

A token is ``issued.nonce.mac``: the moment it was minted, a fresh random nonce and an
HMAC of both under the portal's key. The form carries it and so does a cookie (double
submit); the server believes the pair only when the MAC is its own and the token is recent,
so a cookie planted from elsewhere (a sibling subdomain, a proxy) with a matching field
of the planter's making is refused, and nothing arriving in a request is ever echoed back.

The key is derived from ``APPRAISAL_SECRET_KEY`` when set (every portal machine behind one
load balancer must share it); otherwise from one made at random and kept in
``APPRAISAL_HOME/portal.key``, shared by the workers of one machine
(``appraisal_store.home_keys``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from appraisal_store.home_keys import home_key

# Long enough to ask for a link, read the email and press the button; a token older than
# this is refused and the page shown again with a fresh one.
PRE_SESSION_TOKEN_LIFETIME = timedelta(hours=2)


def signing_key() -> bytes:
    return home_key(b"pre-session-csrf")


def _mac(key: bytes, issued: str, nonce: str) -> str:
    digest = hmac.new(key, f"{issued}.{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def mint_pre_session_token(now: datetime) -> str:
    """A fresh token, signed by this portal (a new one on every form shown)."""
    issued, nonce = str(int(now.timestamp())), secrets.token_urlsafe(18)
    return f"{issued}.{nonce}.{_mac(signing_key(), issued, nonce)}"


def minted_here(token: str, now: datetime) -> bool:
    """Whether this portal minted ``token`` within ``PRE_SESSION_TOKEN_LIFETIME``."""
    issued, _, rest = token.partition(".")
    nonce, _, mac = rest.partition(".")
    if not (issued.isascii() and issued.isdigit()) or not nonce or not mac or len(token) > 200:
        return False
    if not hmac.compare_digest(mac, _mac(signing_key(), issued, nonce)):
        return False
    age = now.timestamp() - int(issued)
    return -60 <= age <= PRE_SESSION_TOKEN_LIFETIME.total_seconds()
