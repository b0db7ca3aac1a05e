"""The LCF self-assessment scale: five frequency labels, ordinal and never a score.

NHS England publishes the scale as frequency categories ("how often do you demonstrate
this?"), not numbers. A rating is stored as the enum value (``"almost_always"``), never as
a number, and shown with the exact published label (``"Almost always"``). "No chance to
demonstrate" means not applicable: it is neither low nor zero.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ScaleLabel", "SCALE_LABEL_TEXTS"]


class ScaleLabel(StrEnum):
    """One answer on the LCF scale, in NHS England's published order.

    Members iterate in the published order (Almost always first). The value is the stable
    storage key; ``.label`` is the exact text to show a person.
    """

    ALMOST_ALWAYS = "almost_always"
    FREQUENTLY = "frequently"
    OCCASIONALLY = "occasionally"
    RARELY_OR_NEVER = "rarely_or_never"
    NO_CHANCE_TO_DEMONSTRATE = "no_chance_to_demonstrate"

    @property
    def label(self) -> str:
        """The exact text NHS England publishes for this answer, e.g. ``"Almost always"``."""
        return _LABEL_TEXTS[self]

    @property
    def applicable(self) -> bool:
        """False only for "No chance to demonstrate", which every summary leaves out."""
        return self is not ScaleLabel.NO_CHANCE_TO_DEMONSTRATE

    @property
    def is_strong(self) -> bool:
        """True for "Almost always" and "Frequently", the answers a strong share counts."""
        return self in (ScaleLabel.ALMOST_ALWAYS, ScaleLabel.FREQUENTLY)

    @classmethod
    def from_label(cls, text: str) -> ScaleLabel:
        """Find the answer whose published label is ``text``.

        Case and runs of whitespace are ignored, so ``"rarely or  Never"`` is accepted;
        the stored value (``"rarely_or_never"``) is accepted too.

        Args:
            text: A label as a person or an imported file wrote it.

        Returns:
            The matching answer.

        Raises:
            ValueError: ``text`` is none of the five labels; the message lists them.
        """
        wanted = " ".join(text.split()).casefold()
        for member in cls:
            if wanted in (member.label.casefold(), member.value):
                return member
        expected = ", ".join(f"'{member.label}'" for member in cls)
        raise ValueError(f"'{text}' is not a scale label; expected one of {expected}")


_LABEL_TEXTS: dict[ScaleLabel, str] = {
    ScaleLabel.ALMOST_ALWAYS: "Almost always",
    ScaleLabel.FREQUENTLY: "Frequently",
    ScaleLabel.OCCASIONALLY: "Occasionally",
    ScaleLabel.RARELY_OR_NEVER: "Rarely or never",
    ScaleLabel.NO_CHANCE_TO_DEMONSTRATE: "No chance to demonstrate",
}

#: The five published labels in the published order, as a framework file must list them.
SCALE_LABEL_TEXTS: tuple[str, ...] = tuple(member.label for member in ScaleLabel)
