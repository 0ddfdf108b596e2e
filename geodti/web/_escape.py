"""Escaping of user data on its way into a map page.

Two contexts exist in a page and each has one function:

- HTML text and attribute values (title, captions, layer names that Leaflet's layer control
  inserts with ``innerHTML``): :func:`html_text`.
- Data embedded in a ``<script>`` element: :func:`script_json`. The JSON is valid JavaScript
  and can never close the script element or open an HTML comment, because every ``<``, ``>``
  and ``&`` is written as a ``\\u00XX`` escape (they only occur inside JSON strings); the line
  separators U+2028/U+2029, which older JavaScript engines reject inside string literals,
  are escaped the same way. This is the rule of Jinja's ``htmlsafe_json_dumps`` plus the two
  line separators, with non-ASCII text kept as UTF-8 to keep Chinese names small.

Strings shown in the browser are inserted with ``textContent`` by ``static/geodti.js``,
so they are never parsed as HTML there.
"""

from __future__ import annotations

import html
import json
from typing import Any

_SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_SCRIPT_TABLE = str.maketrans(_SCRIPT_ESCAPES)


def html_text(value: Any) -> str:
    """Escape ``value`` (converted with ``str``) for HTML text or a quoted attribute."""
    return html.escape(str(value), quote=True)


def script_json(obj: Any) -> str:
    """Serialise ``obj`` as compact JSON that is safe inside an HTML ``<script>`` element.

    Keys keep their insertion order (callers build them in a fixed order), so equal inputs
    give identical text.
    """
    try:
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError as exc:  # JSON has no NaN/Infinity: a NaN here is a bug upstream
        raise ValueError(f"a non-finite number cannot be written into a map page: {exc}") from exc
    return text.translate(_SCRIPT_TABLE)
