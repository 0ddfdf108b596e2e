"""The cluster-label vocabulary: every label a statistics table's ``cluster`` column can hold,
with its Chinese and English names and its colour.

The local-statistics tables (:mod:`geodti.spatial`), the maps (:mod:`geodti.web`), the
figures and the GIS layers read their labels and colours here, so a label means, reads and
looks the same everywhere.

Families
--------
``QUADRANT``
    Moran scatterplot quadrants (LISA, local Geary): ``HH``, ``LH``, ``LL``, ``HL``; colours of
    GeoDa (libgeoda ``UniLocalMoran``), the convention readers of spatial-statistics papers know.
``HOTSPOT``
    Gi* hot and cold spots by confidence, ``hot_99`` ... ``cold_99``, with Esri's ``Gi_Bin``
    code (3 ... -3) and Esri's colours.
``LOCAL_GEARY``
    Local Geary's other significant kinds: ``other_positive``, ``negative``.
``LOSH``
    ``heterogeneous``: a unit whose neighbourhood is significantly heteroskedastic.
Shared keys
    ``not_significant``, ``isolate`` (no neighbours), ``not_computed``, ``no_data``. Their colour
    depends on the map family (a grey for LISA, a near-white for Gi*), so each family carries its own.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ClusterLabel", "HOTSPOT", "LISA_COLOURS", "LOCAL_GEARY", "LOSH", "NOT_SIGNIFICANT", "QUADRANT",
    "QUADRANTS", "HOTSPOT_LEVELS", "hotspot_key",
]


@dataclass(frozen=True)
class ClusterLabel:
    """One value of a ``cluster`` column.

    Attributes
    ----------
    key : str
        The value written into tables and layers (``HH``, ``hot_95``, ``not_significant``).
    zh, en : str
        Chinese and English names for legends and tooltips.
    colour : str
        Fill colour on maps and figures.
    gi_bin : int or None
        Esri's ``Gi_Bin`` confidence code (hot/cold spots only).
    """

    key: str
    zh: str
    en: str
    colour: str
    gi_bin: int | None = None

    @property
    def text(self) -> str:
        """``"zh en"``, the bilingual form the map legends use."""
        return f"{self.zh} {self.en}"


NOT_SIGNIFICANT = "not_significant"
#: The four Moran scatterplot quadrants, in esda's order (q = 1, 2, 3, 4).
QUADRANTS = ("HH", "LH", "LL", "HL")


def _family(*labels: ClusterLabel) -> dict[str, ClusterLabel]:
    return {lab.key: lab for lab in labels}


QUADRANT = _family(
    ClusterLabel("HH", "高-高", "High-High", "#ff0000"),
    ClusterLabel("LL", "低-低", "Low-Low", "#0000ff"),
    ClusterLabel("LH", "低-高", "Low-High", "#a7adf9"),
    ClusterLabel("HL", "高-低", "High-Low", "#f4ada8"),
    ClusterLabel(NOT_SIGNIFICANT, "不显著", "Not significant", "#eeeeee"),
    ClusterLabel("isolate", "无邻居", "Isolate (no neighbours)", "#999999"),
    ClusterLabel("no_data", "无数据", "No data", "#ffffff"),
)

HOTSPOT = _family(
    ClusterLabel("hot_99", "热点", "Hot spot, 99%", "#d62f27", 3),
    ClusterLabel("hot_95", "热点", "Hot spot, 95%", "#ed7551", 2),
    ClusterLabel("hot_90", "热点", "Hot spot, 90%", "#fab984", 1),
    ClusterLabel(NOT_SIGNIFICANT, "不显著", "Not significant", "#f0f0f0", 0),
    ClusterLabel("cold_90", "冷点", "Cold spot, 90%", "#c0ccdf", -1),
    ClusterLabel("cold_95", "冷点", "Cold spot, 95%", "#849eba", -2),
    ClusterLabel("cold_99", "冷点", "Cold spot, 99%", "#4575b5", -3),
    ClusterLabel("isolate", "无邻居", "Isolate (no neighbours)", "#ffffff"),
    ClusterLabel("not_computed", "未计算", "Not computed (negative values)", "#ffffff"),
)

LOCAL_GEARY = _family(
    ClusterLabel("other_positive", "其他正相关", "Other positive", "#cccccc"),
    ClusterLabel("negative", "负相关", "Negative", "#66c2a5"),
)

LOSH = _family(
    ClusterLabel("heterogeneous", "局部异质", "Locally heterogeneous", "#8c510a"),
)

#: The quadrant family's colours by key, with ``ns`` for not significant (the figures' short key).
LISA_COLOURS = {("ns" if k == NOT_SIGNIFICANT else k): lab.colour for k, lab in QUADRANT.items()}

#: Confidence levels of the hot/cold spot labels: adjusted p at most this gives this tag.
HOTSPOT_LEVELS = ((0.01, "99"), (0.05, "95"), (0.10, "90"))


def hotspot_key(side: str, level: float) -> str:
    """The hot/cold spot label of ``side`` (``hot``/``cold``) at a confidence ``level`` of
    :data:`HOTSPOT_LEVELS` (``hotspot_key("hot", 0.05) == "hot_95"``)."""
    tag = dict(HOTSPOT_LEVELS)[level]
    return f"{side}_{tag}"
