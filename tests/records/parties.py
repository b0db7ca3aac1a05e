"""The two parties of the sample record and how each signs it in the tests."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from records.pdf_signing import sign_record
from records.seal import Seal

LONDON = ZoneInfo("Europe/London")
APPRAISEE = "Siân Ŵyn ap Gruffydd"
APPRAISER = "Nguyễn Thị Hoa"


def sign_as_appraisee(pdf: bytes, seal: Seal) -> bytes:
    return sign_record(
        pdf,
        field_name="Appraisee",
        signer_name=APPRAISEE,
        signer_role="Non-executive director",
        signed_at=datetime(2025, 6, 12, 10, 30, tzinfo=LONDON),
        seal=seal,
    )


def sign_as_appraiser(pdf: bytes, seal: Seal) -> bytes:
    return sign_record(
        pdf,
        field_name="Appraiser",
        signer_name=APPRAISER,
        signer_role="Chair",
        signed_at=datetime(2025, 6, 13, 9, 5, tzinfo=LONDON),
        seal=seal,
    )
