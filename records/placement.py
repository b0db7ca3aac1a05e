"""Where the two signatures go on a record.

The renderer leaves an empty box for each signature and adds a bookmark ("Appraisee
signature", "Appraiser signature") whose /FitR destination is exactly that box. The
position therefore travels inside the PDF itself: whoever signs later, in another process
or years on, reads it back with :func:`signature_boxes` instead of re-rendering or
storing coordinates elsewhere. A reader also gets a bookmark that jumps to each signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.rw_common import PdfHandler
from reportlab.lib import colors
from reportlab.platypus import Flowable

from records.errors import RecordError

__all__ = [
    "ALL_SIGNATURE_FIELDS",
    "ENDORSEMENT_FIELD",
    "SIGNATURE_FIELDS",
    "SignatureBox",
    "SignatureSpace",
    "signature_boxes",
    "signature_boxes_in",
]

SIGNATURE_FIELDS: tuple[str, str] = ("Appraisee", "Appraiser")
# The third signature of a record that goes to NHS England: the regional endorsement.
ENDORSEMENT_FIELD = "Endorsement"
ALL_SIGNATURE_FIELDS = (*SIGNATURE_FIELDS, ENDORSEMENT_FIELD)
_BOOKMARK_SUFFIX = " signature"


@dataclass(frozen=True)
class SignatureBox:
    """A signature field's place: 0-based page index and (x1, y1, x2, y2) in points."""

    field_name: str
    page_index: int
    rect: tuple[float, float, float, float]


class SignatureSpace(Flowable):
    """An empty framed box that marks its own page position with a named destination."""

    def __init__(self, field_name: str, width: float, height: float) -> None:
        super().__init__()
        self.field_name = field_name
        self.width = width
        self.height = height

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        canvas.saveState()
        canvas.setStrokeColor(colors.HexColor("#AEB7BD"))
        canvas.setDash(2, 2)
        canvas.rect(0, 0, self.width, self.height, stroke=1, fill=0)
        canvas.restoreState()
        # Flowables draw in a translated space; the destination needs page coordinates.
        x1, y1 = canvas.absolutePosition(0, 0)
        x2, y2 = canvas.absolutePosition(self.width, self.height)
        key = f"signature-{self.field_name}"
        canvas.bookmarkPage(
            key,
            fit="FitR",
            left=round(x1, 2),
            bottom=round(y1, 2),
            right=round(x2, 2),
            top=round(y2, 2),
        )
        # Level 1: it sits under the "Signatures" heading's level-0 bookmark.
        canvas.addOutlineEntry(self.field_name + _BOOKMARK_SUFFIX, key, level=1)


def _get(dictionary: Any, key: str) -> Any:
    # pyHanko dereferences on [] but dict.get() would hand back the raw reference.
    return dictionary[key] if key in dictionary else None


def _page_ids(node: Any) -> list[int]:
    kids = _get(node, "/Kids")
    if kids is None:
        return []
    ids: list[int] = []
    for index in range(len(kids)):
        raw = kids.raw_get(index)
        child = raw.get_object()
        if _get(child, "/Type") == "/Pages":
            ids.extend(_page_ids(child))
        else:
            ids.append(raw.idnum)
    return ids


def _outline_items(first: Any) -> list[Any]:
    items: list[Any] = []
    item = first
    while item is not None:
        items.append(item)
        if "/First" in item:
            items.extend(_outline_items(item["/First"]))
        item = _get(item, "/Next")
    return items


def signature_boxes(pdf: bytes) -> dict[str, SignatureBox]:
    """Read the signature boxes that :func:`records.render.render_record` left.

    Args:
        pdf: A rendered record, signed or not.

    Returns:
        The boxes by field name ("Appraisee", "Appraiser").

    Raises:
        RecordError: The file is not a PDF or carries no signature boxes.
    """
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
    except Exception as error:  # pyHanko raises many kinds on a malformed file
        raise RecordError(f"Could not read the signature boxes of this PDF: {error}") from error
    return signature_boxes_in(reader)


def signature_boxes_in(reader: PdfHandler) -> dict[str, SignatureBox]:
    """Like :func:`signature_boxes`, for a PDF pyHanko has already opened."""
    try:
        root = reader.root
        page_ids = _page_ids(root["/Pages"])
        outlines = _get(root, "/Outlines")
        first = _get(outlines, "/First") if outlines is not None else None
        boxes: dict[str, SignatureBox] = {}
        for item in _outline_items(first):
            title = str(_get(item, "/Title") or "")
            field_name = title.removesuffix(_BOOKMARK_SUFFIX)
            if field_name not in ALL_SIGNATURE_FIELDS or "/Dest" not in item:
                continue
            dest = item["/Dest"]
            array = dest["/D"] if isinstance(dest, generic.DictionaryObject) else dest
            if str(array[1]) != "/FitR":
                continue
            page_id = array.raw_get(0).idnum
            left, bottom, right, top = (float(array[i]) for i in range(2, 6))
            boxes[field_name] = SignatureBox(
                field_name, page_ids.index(page_id), (left, bottom, right, top)
            )
    except Exception as error:  # pyHanko raises many kinds on a malformed file
        raise RecordError(f"Could not read the signature boxes of this PDF: {error}") from error
    if not boxes:
        raise RecordError("This PDF has no signature boxes; was it rendered by this system?")
    return boxes
