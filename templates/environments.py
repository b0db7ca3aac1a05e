"""The Jinja environments of the pages, the emails and the reports, built in one place.

Every template lives under this folder: ``pages/`` (the portal, with the NHS.UK frontend's
macros), ``emails/`` (a ``.txt`` and an ``.html`` template per message) and ``reports/``
(the cycle's HTML reports). Each kind of output gets the environment its readers need:

- pages: autoescaped everywhere (strings too), and a missing value renders as nothing
  (``ChainableUndefined``), so that an optional part of a page's context can be left out;
- emails: autoescaped in ``.html`` only (the plain text would show ``&amp;``), and a
  missing value is an error (``StrictUndefined``): a message never goes out with a gap;
- reports: autoescaped in ``.html``.

The environments are built once per process; the callers add their own filters.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import (
    ChainableUndefined,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    select_autoescape,
)

TEMPLATES_DIR = Path(__file__).resolve().parent
PAGES_DIR = TEMPLATES_DIR / "pages"
EMAILS_DIR = TEMPLATES_DIR / "emails"
REPORTS_DIR = TEMPLATES_DIR / "reports"


def _nhsuk_dir() -> Path:
    import nhsuk_frontend_jinja

    return Path(nhsuk_frontend_jinja.__file__).parent / "templates"


def pages_environment() -> Environment:
    """A new environment for the portal's pages (ours first, then the NHS.UK macros).

    Not cached: the portal makes one and hangs its filters and globals on it."""
    return Environment(
        loader=ChoiceLoader([FileSystemLoader(PAGES_DIR), FileSystemLoader(_nhsuk_dir())]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True, lstrip_blocks=True, undefined=ChainableUndefined,
    )


@lru_cache(maxsize=1)
def emails_environment() -> Environment:
    """The environment of the emails' templates (one per process)."""
    return Environment(
        loader=FileSystemLoader(EMAILS_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )


@lru_cache(maxsize=1)
def reports_environment() -> Environment:
    """The environment of the reports' templates (one per process)."""
    return Environment(loader=FileSystemLoader(REPORTS_DIR),
                       autoescape=select_autoescape(("html",)))
