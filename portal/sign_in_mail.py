"""Sending sign-in emails from the portal at once, without holding the request.

The link is never stored: the request hands the letter (held in memory) to a postman of
the portal process, which renders it and delivers it through ``flows.postbox`` (SMTP when
``APPRAISAL_SMTP_URL`` is set, else an .eml file in ``APPRAISAL_HOME/outbox/``), the
outbox's own delivery. A letter whose link has expired by the time it would go out is
never delivered. A letter that cannot be delivered is logged (without its link) and
dropped: the person was told to ask for another link if none arrives, and a retry from
storage would need the link stored.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from datetime import datetime

from appraisal_store.models import OutboxMessage
from flows.emails import render_email
from flows.postbox import deliver_one

from .authentication import SignInLetter
from .hand_over import HandOver

TEMPLATE = "sign_in_link"
# Letters are few and each takes a round trip to the mail server; a few postmen at once
# keep a burst from queueing behind one slow delivery.
POSTMEN = 4
log = logging.getLogger("portal.sign_in_mail")


def _as_message(letter: SignInLetter) -> OutboxMessage:
    """The letter as the email renderer takes it (in memory only, never added to a session)."""
    return OutboxMessage(idempotency_key=letter.key, template=TEMPLATE,
                         recipient_email=letter.recipient_email,
                         recipient_name=letter.recipient_name, appraisal_id=None,
                         payload={"link": letter.link, "code": letter.token,
                                  "expires_minutes": letter.expires_minutes})


def deliver_sign_in_letter(letter: SignInLetter, *, now: datetime) -> bool:
    """Deliver one letter unless its link has expired at ``now``; True when delivered.

    Never raises: a failure is logged (with the key, never the link) and reported False.
    """
    if now >= letter.expires_at:
        log.warning("Sign-in email %s not sent: its link expired before it could go out",
                    letter.key)
        return False
    try:
        deliver_one(render_email(_as_message(letter), now=now), letter.key,
                    recipient=letter.recipient_email)
    except (OSError, smtplib.SMTPException) as error:
        log.error("Sign-in email %s could not be sent (%s: %s); the person must ask again",
                  letter.key, error.__class__.__name__, error)
        return False
    except Exception:  # noqa: BLE001 - a postman thread must outlive one bad letter
        log.exception("Sign-in email %s could not be sent; the person must ask again",
                      letter.key)
        return False
    return True


class SignInPostman(HandOver[SignInLetter]):
    """Delivers letters on threads of the portal process, oldest first.

    A letter still waiting when the process stops is lost (the person asks again); nothing
    about it was stored.
    """

    def __init__(self, clock: Callable[[], datetime], postmen: int = POSTMEN) -> None:
        super().__init__(lambda letter: deliver_sign_in_letter(letter, now=clock()),
                         threads=postmen, name="sign-in-postman")
        self.clock = clock
