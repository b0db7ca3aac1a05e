"""The six official LCF domain names and the variants that turn up in other documents.

The names are NHS England's exact text from the February 2024 LCF. Other documents print
them differently (the August 2023 FPPT framework used draft names; some summaries drop a
comma or misquote a word); an imported file using one of those variants is normalised to
the official name so every appraisal shows the name as published.
"""

from __future__ import annotations

import re

__all__ = ["OFFICIAL_DOMAIN_NAMES", "official_domain_name"]

#: The six official names, in the order the project numbers the domains (1 to 6).
OFFICIAL_DOMAIN_NAMES: tuple[str, ...] = (
    "Driving high quality and sustainable outcomes",
    "Setting strategy and delivering long term transformation",
    "Promoting equality and inclusion, and reducing health and workforce inequalities",
    "Providing robust governance and assurance",
    "Creating a compassionate, just and positive culture",
    "Building a trusted relationship with partners and communities",
)

# Variants seen in print, each with the official name it stands for. Spelling differences
# of case, hyphens and commas ("long-term", a missing comma) need no entry: the matching
# key below ignores them.
_VARIANTS: dict[str, str] = {
    # Draft names in the FPPT framework (August 2023), superseded in February 2024.
    "Driving high quality, sustainable outcomes": OFFICIAL_DOMAIN_NAMES[0],
    "Leading for equality": OFFICIAL_DOMAIN_NAMES[2],
    "Creating a compassionate and inclusive culture": OFFICIAL_DOMAIN_NAMES[4],
    "Building trusted relationships with partners and communities": OFFICIAL_DOMAIN_NAMES[5],
    # Misquotations in published summaries.
    "Delivering a compassionate, just and positive culture": OFFICIAL_DOMAIN_NAMES[4],
    "Building a trust relationship with partners and communities": OFFICIAL_DOMAIN_NAMES[5],
}


def _matching_key(name: str) -> str:
    words = re.sub(r"[^\w\s]", " ", name.casefold())
    return " ".join(words.split())


_BY_KEY: dict[str, str] = {
    **{_matching_key(variant): official for variant, official in _VARIANTS.items()},
    **{_matching_key(official): official for official in OFFICIAL_DOMAIN_NAMES},
}


def official_domain_name(name: str) -> str | None:
    """Return the official domain name that ``name`` is, or is a known variant of.

    Args:
        name: A domain name as some document prints it.

    Returns:
        The official February 2024 name, or None when ``name`` is no known variant (an
        organisation's local domain name, which the loader keeps as written).
    """
    return _BY_KEY.get(_matching_key(name))
