"""A respondent's personal link: a token derived from a stored nonce, stored only hashed.

The token is the HMAC of the respondent's random nonce under the deployment's key
(``home_keys``), so the store holds the nonce and the token's SHA-256 but never the token:
a copy of the database opens no form. The email renderer derives the token again when a
message is sent (the invitation and every reminder carry the same link), and the link
puts it in the URL fragment, which no server sees; the form's POST redeems it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from .home_keys import home_key

PURPOSE = b"feedback-respondent-link"
LINK_PATH = "/feedback/respond"


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def link_token(nonce: str, *, key: bytes | None = None) -> str:
    """The respondent's token (never stored); ``key`` is ``home_key(PURPOSE)``, given by a
    caller making many."""
    mac = hmac.digest(key or home_key(PURPOSE), nonce.encode("ascii"), "sha256")
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def token_digest(token: str) -> str:
    """What the store keeps of a token or a respondent's session: its SHA-256, in hex."""
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def link_path(nonce: str) -> str:
    """The link's path and fragment, to put after the portal's base address."""
    return f"{LINK_PATH}#{link_token(nonce)}"
