"""Seal a record: add a PAdES signature, with its visible stamp, to the record's PDF."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from io import BytesIO

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from records.errors import RecordError, SigningError
from records.placement import ALL_SIGNATURE_FIELDS, SignatureBox, signature_boxes_in
from records.seal import Seal
from records.stamp import render_stamp, stamp_style

__all__ = ["sign_record", "signature_reason"]



def signature_reason(
    field_name: str, signer_name: str, signer_role: str, signed_at: datetime
) -> str:
    """The /Reason a record signature carries, e.g. "Signed by X as appraisee (Chair) on ...".

    :mod:`records.verify` reads the role and time back out of it, so keep the two in step.
    """
    when = signed_at.isoformat(timespec="seconds")
    return f"Signed by {signer_name} as {field_name.lower()} ({signer_role}) on {when}"


def sign_record(
    pdf: bytes,
    *,
    field_name: str,
    signer_name: str,
    signer_role: str,
    signed_at: datetime,
    seal: Seal,
    box: SignatureBox | None = None,
    keywords: Sequence[str] = (),
) -> bytes:
    """Add one party's PAdES signature to a record, as an incremental update.

    The signature (subfilter ETSI.CAdES.detached, SHA-256) is made with the organisation
    seal in a new visible field named ``field_name``; its metadata carries the signer's
    name (/Name), role and time (/Reason, see :func:`signature_reason`) and the seal's
    organisation (/Location), and its stamp shows them. Earlier signatures stay valid.
    The CMS signing time is the clock's; ``signed_at`` is when the person signed.

    Args:
        pdf: The record, unsigned or signed by the other party.
        field_name: "Appraisee", "Appraiser" or "Endorsement".
        signer_name: The person signing.
        signer_role: Their board role.
        signed_at: When they signed; must carry a time zone.
        seal: The organisation seal from :func:`load_seal`.
        box: Where the field goes; by default the box the renderer left for it.
        keywords: When given, the document's /Keywords in this update (inside what the
            signature covers): the archive writes the audit chain's anchor there.

    Returns:
        The signed PDF.

    Raises:
        SigningError: Unknown field, naive time, a field already signed, or a file that
            is not a rendered record.
    """
    if field_name not in ALL_SIGNATURE_FIELDS:
        raise SigningError(
            f"Unknown signature field {field_name!r}; use one of {ALL_SIGNATURE_FIELDS}."
        )
    if signed_at.tzinfo is None or signed_at.utcoffset() is None:
        raise SigningError("The signing time must carry a time zone.")
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        signed = {name for name, _, _ in fields.enumerate_sig_fields(writer.prev, True)}
    except Exception as error:  # pyHanko raises many kinds on a malformed file
        raise SigningError(
            f"This file cannot be signed, it is not a readable PDF: {error}"
        ) from error
    if field_name in signed:
        raise SigningError(f"The record already carries the {field_name} signature.")
    if keywords:
        writer.document_meta.keywords = list(keywords)
    if box is None:
        try:
            box = signature_boxes_in(writer.prev)[field_name]
        except (RecordError, KeyError) as error:
            raise SigningError(
                f"The record has no place for the {field_name} signature."
            ) from error
    x1, y1, x2, y2 = box.rect
    stamp = render_stamp(
        size=(x2 - x1, y2 - y1),
        field_name=field_name,
        signer_name=signer_name,
        signer_role=signer_role,
        signed_at=signed_at,
        sealed_by=seal.common_name,
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        name=signer_name,
        reason=signature_reason(field_name, signer_name, signer_role, signed_at),
        location=seal.organisation,
    )
    pdf_signer = signers.PdfSigner(
        metadata,
        seal.signer,
        stamp_style=stamp_style(stamp),
        new_field_spec=fields.SigFieldSpec(
            sig_field_name=field_name,
            on_page=box.page_index,
            box=(round(x1), round(y1), round(x2), round(y2)),
        ),
    )
    try:
        # A fixed reservation skips pyHanko's dry-run signature that sizes the CMS blob.
        output = pdf_signer.sign_pdf(writer, bytes_reserved=8192)
    except Exception as error:  # pyHanko's SigningError, PdfError, ValueError...
        raise SigningError(f"Could not add the {field_name} signature: {error}") from error
    return output.getvalue()  # type: ignore[no-any-return]  # sign_pdf is unannotated
