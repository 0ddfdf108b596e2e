"""Inline the vendored JavaScript and CSS (see ``vendor/README.md``) and geodti's own runtime.

Every asset is read from the package, so a page never refers to a CDN. Source-map comments
are dropped and the stylesheet's image URLs become ``data:`` URIs, so a page opened from disk
requests nothing at all.
"""

from __future__ import annotations

import base64
import functools
import re
from pathlib import Path

_HERE = Path(__file__).resolve().parent
VENDOR = _HERE / "vendor"
STATIC = _HERE / "static"

_SOURCE_MAP = re.compile(r"^\s*//# sourceMappingURL=.*$", re.MULTILINE)
_CSS_IMAGE = re.compile(r"url\((['\"]?)images/([A-Za-z0-9_.-]+\.png)\1\)")


def _read(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    lowered = text.lower()
    # An inlined file must not be able to end its own <script>/<style> element.
    if "</script" in lowered or "</style" in lowered:
        raise RuntimeError(f"{path} contains a closing script/style tag and cannot be inlined")
    return text


@functools.cache
def javascript(name: str) -> str:
    """Text of one inlined script: ``leaflet``, ``topojson`` or ``geodti``."""
    paths = {
        "leaflet": VENDOR / "leaflet" / "leaflet.js",
        "topojson": VENDOR / "topojson-client" / "topojson-client.min.js",
        "geodti": STATIC / "geodti.js",
    }
    return _SOURCE_MAP.sub("", _read(paths[name])).rstrip() + "\n"


@functools.cache
def stylesheet(name: str) -> str:
    """Text of one inlined stylesheet: ``leaflet`` or ``geodti``."""
    if name == "geodti":
        return _read(STATIC / "geodti.css")
    if name != "leaflet":
        raise KeyError(name)
    css = _read(VENDOR / "leaflet" / "leaflet.css")
    images = VENDOR / "leaflet" / "images"

    def to_data_uri(match: re.Match) -> str:
        data = base64.b64encode((images / match.group(2)).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return _CSS_IMAGE.sub(to_data_uri, css)
