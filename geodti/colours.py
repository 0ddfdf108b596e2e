"""Colours shared by the interactive maps (:mod:`geodti.web`) and the paper figures
(:mod:`geodti.report.figures`), so a LISA cluster has one colour everywhere.
"""

from __future__ import annotations

#: LISA cluster colours of GeoDa (libgeoda ``UniLocalMoran``), the convention readers of
#: spatial-statistics papers know.
LISA_COLOURS = {
    "HH": "#ff0000",
    "LL": "#0000ff",
    "LH": "#a7adf9",
    "HL": "#f4ada8",
    "ns": "#eeeeee",
    "isolate": "#999999",
    "no_data": "#ffffff",
}
