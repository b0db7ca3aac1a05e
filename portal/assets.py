"""Fetch the NHS.UK design system's compiled CSS, JavaScript and images from the npm registry.

The files are not committed: ``python -m portal.assets`` downloads the pinned tarball, checks
its sha512 integrity against the value published in the registry's metadata, and unpacks
``dist/nhsuk/`` (minified CSS and JS, images) into ``portal/static/nhsuk/``. The download
uses the Python standard library, so no Node.js is needed. It runs at install (``make
assets``), never when the portal starts (``require_assets``).
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path

from appraisal_store.environment import EnvironmentFailure

VERSION = "10.6.1"
TARBALL_URL = f"https://registry.npmjs.org/nhsuk-frontend/-/nhsuk-frontend-{VERSION}.tgz"
# From https://registry.npmjs.org/nhsuk-frontend -> versions["10.6.1"].dist.integrity
INTEGRITY = ("sha512-PZorqQZjZx/A26yJoskCL9z0ib6AtkAyF0o4K/RHr8zRrJyXrUOCnMbjy0VNXsGO4tfTNMwq"
             "lkwATKs4a0xayw==")
STATIC_DIR = Path(__file__).parent / "static" / "nhsuk"
_PREFIX = "package/dist/nhsuk/"
_WANTED = ("nhsuk-frontend.min.css", "nhsuk-frontend.min.js")


class AssetError(Exception):
    """The download failed or did not match the pinned integrity."""


class AssetsMissing(EnvironmentFailure):
    """The portal is started on an installation whose assets were never fetched (a failure
    of the installation, said in one sentence like the machine's other failures)."""


def integrity_of(blob: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(blob).digest()).decode("ascii")


# The design system's CSS asks for the Frutiger web fonts from assets.nhs.uk; the portal's
# content security policy allows fonts from itself only, so every page logged a refused
# request. The rules are taken out: the CSS names Arial and sans-serif after Frutiger.
_FONT_FACE = re.compile(rb"@font-face\{[^}]*\}")


def without_font_faces(css: bytes) -> bytes:
    """The CSS without its ``@font-face`` rules (fonts from another site)."""
    return _FONT_FACE.sub(b"", css)


def _strip_fonts(target: Path) -> None:
    css = target / "nhsuk-frontend.min.css"
    if css.is_file():
        text = css.read_bytes()
        stripped = without_font_faces(text)
        if stripped != text:
            css.write_bytes(stripped)


def assets_present(target: Path = STATIC_DIR) -> bool:
    return all((target / name).is_file() for name in _WANTED)


def require_assets(target: Path | None = None) -> Path:
    """The installed assets, for the portal's start-up, which never downloads them: a
    portal machine may have no way out to the npm registry, and a start must not depend on
    one (the set-up fetches them: ``make assets``).

    Raises:
        AssetsMissing: They are not installed, in one sentence saying how to install them.
    """
    target = target or STATIC_DIR
    if not assets_present(target):
        raise AssetsMissing(
            f"The NHS.UK design system's files (nhsuk-frontend {VERSION}) are not in "
            f"{target}: install them with `make assets` (or `python -m portal.assets`) "
            "before starting the portal; it never downloads them itself.")
    _strip_fonts(target)  # fetched before the fonts were taken out
    return target


def unpack(blob: bytes, target: Path = STATIC_DIR) -> list[Path]:
    """Check ``blob`` against the pinned integrity and unpack the compiled files into ``target``.

    Raises:
        AssetError: the integrity does not match (nothing is written).
    """
    found = integrity_of(blob)
    if found != INTEGRITY:
        raise AssetError(f"nhsuk-frontend {VERSION}: integrity {found} is not the pinned "
                         f"{INTEGRITY}; refusing to use it.")
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    written: list[Path] = []
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as archive:
        for member in archive.getmembers():
            if not member.isfile() or not member.name.startswith(_PREFIX):
                continue
            relative = member.name[len(_PREFIX):]
            if not (relative in _WANTED or relative.startswith("assets/")):
                continue
            if ".." in Path(relative).parts:
                continue
            source = archive.extractfile(member)
            if source is None:
                continue
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            content = source.read()
            path.write_bytes(without_font_faces(content) if relative.endswith(".css")
                             else content)
            written.append(target / relative)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return written


def fetch_assets(target: Path = STATIC_DIR, *, force: bool = False, timeout: float = 60) -> Path:
    """Download and unpack nhsuk-frontend into ``target`` unless it is already there.

    Returns:
        The folder holding the assets.

    Raises:
        AssetError: the registry could not be reached or the tarball does not match.
    """
    if assets_present(target) and not force:
        _strip_fonts(target)  # fetched before the fonts were taken out
        return target
    try:
        with urllib.request.urlopen(TARBALL_URL, timeout=timeout) as response:  # noqa: S310
            blob = response.read()
    except OSError as error:
        raise AssetError(f"could not download {TARBALL_URL}: {error}") from error
    unpack(blob, target)
    return target


def main() -> int:
    try:
        where = fetch_assets(force="--force" in sys.argv)
    except AssetError as error:
        sys.stderr.write(f"portal.assets: {error}\n")
        return 1
    sys.stdout.write(f"nhsuk-frontend {VERSION} is in {where}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
