"""The figures' Chinese font: the bundled Noto Sans SC on a font-less machine, an installed
CJK font first when there is one, and no missing glyph in any figure."""

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from geodti.bundled import data_dir
from geodti.report import figures as F

FONTS = Path(F.__file__).resolve().parents[1] / "fonts"
ROOT = Path(F.__file__).resolve().parents[2]

# Run in a fresh Python whose matplotlib knows only its own fonts (DejaVu, STIX, ...), as on a
# machine with no CJK font: fontconfig reads an empty configuration, the font cache starts
# empty, and because matplotlib also walks /usr/share/fonts and ~/.fonts itself, every font
# outside matplotlib's own folder is dropped from the font list before anything is drawn.
_HIDE_FONTS = """
import json, sys, warnings
from pathlib import Path
import matplotlib
from matplotlib import font_manager

own = Path(matplotlib.get_data_path(), "fonts").resolve()
fm = font_manager.fontManager
fm.ttflist = [f for f in fm.ttflist if Path(f.fname).resolve().is_relative_to(own)]
# matplotlib's "Last Resort" maps every code point to a placeholder box: not a CJK font
result = {
    "known": len(fm.ttflist),
    "known_with_chinese": [f.name for f in fm.ttflist if not f.name.startswith("Last Resort")
                           and font_manager.get_font(f.fname).get_char_index(ord("中"))],
}
"""


def _fontless_python(code: str, tmp_path: Path) -> dict:
    """Run ``code`` after :data:`_HIDE_FONTS`; it fills ``result``, returned here."""
    conf = tmp_path / "fonts.conf"
    conf.write_text("<?xml version='1.0'?>\n<fontconfig></fontconfig>\n", encoding="utf-8")
    env = {
        "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path),
        "MPLCONFIGDIR": str(tmp_path / "mpl"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "FONTCONFIG_FILE": str(conf), "MPLBACKEND": "Agg",
    }
    script = _HIDE_FONTS + code + "\nprint('RESULT ' + json.dumps(result, ensure_ascii=False))\n"
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    line = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    result = json.loads(line[len("RESULT "):])
    # the machine really is font-less for matplotlib: the hiding worked
    assert result["known"] > 0 and result["known_with_chinese"] == []
    return result


_DRAW_EVERY_FIGURE = """
import numpy as np
import pandas as pd
from geodti.places.boundaries import cities, provinces
from geodti.report import figures as F

import logging

class Logged(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())

# matplotlib logs (not warns) when a weight or style is missing: "Failed to find font weight bold"
logged = Logged()
logging.getLogger("matplotlib").addHandler(logged)

def glyph_warnings(fig):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = F.figure_bytes(fig)
    return png, [str(w.message) for w in caught if "missing from font" in str(w.message)]

result["family"] = F.cjk_font()  # the first call, on a machine with no CJK font
result["path"] = font_manager.findfont(font_manager.FontProperties(family=result["family"]),
                                       fallback_to_default=False)
# control: the capture sees matplotlib's warning when a font lacks the glyphs
from matplotlib.figure import Figure
control = Figure()
control.add_subplot().set_title("中国城市", fontfamily="DejaVu Sans")
result["control"] = glyph_warnings(control)[1]
units, outlines = cities("map"), provinces("map")
n = len(units)
values = np.random.default_rng(1).normal(size=n)
labels = ["HH", "LL", "LH", "HL", "not_significant", "isolate", None]
units = units.assign(cluster=[labels[i % len(labels)] for i in range(n)])
figures = {
    # every bundled city's full name as a point label
    "moran": lambda: F.moran_scatterplot(values, lag=np.roll(values, 1), clusters=units["cluster"],
                                         moran_i=0.5, labels=units["name"], label_top=n,
                                         variable="数字化转型指数", title="莫兰散点图：城市"),
    "lisa": lambda: F.lisa_cluster_map(units, "cluster", outlines=outlines, title="LISA 聚类图"),
    # every province's name (the whole country in view)
    "centre": lambda: F.centre_trajectory(
        pd.DataFrame({"period": ["2021Q1", "2021Q2", "2021Q3"], "lon": [112.0, np.nan, 112.3],
                      "lat": [32.0, 32.1, 31.8]}),
        outlines, extent="china", title="重心轨迹（全国）"),
}
result["missing"], result["same_bytes"], result["texts"] = {}, {}, {}
logged.messages.clear()
for name, make in figures.items():
    fig = make()
    png, missing = glyph_warnings(fig)
    result["missing"][name] = missing
    result["same_bytes"][name] = png == glyph_warnings(make())[0]
    result["texts"][name] = sorted({t.get_text() for ax in fig.axes for t in ax.texts})
result["logged"] = logged.messages
"""


def test_fontless_machine_draws_every_figure_with_the_bundled_font(tmp_path):
    result = _fontless_python(_DRAW_EVERY_FIGURE, tmp_path)
    assert result["control"], "the glyph-warning capture saw nothing for DejaVu Sans"
    assert result["family"] == F.BUNDLED_FAMILY
    assert Path(result["path"]) == F.BUNDLED_FONT
    assert result["missing"] == {"moran": [], "lisa": [], "centre": []}
    assert result["same_bytes"] == {"moran": True, "lisa": True, "centre": True}
    assert result["logged"] == []  # no font substituted (e.g. a bold weight the font lacks)
    # the Chinese really was drawn: city and province names, the note on a missing centre
    from geodti.places.boundaries import cities, provinces

    assert set(cities("map")["name"]) <= set(result["texts"]["moran"])
    assert set(provinces("map")["name"]) <= set(result["texts"]["centre"])
    assert "无重心的期间：2021Q2" in result["texts"]["centre"]


_SYSTEM_FONT = """
import dataclasses, shutil
from geodti.report import figures as F

# a CJK font "installed on the system" under the first name of CJK_FAMILIES
copy = Path("system-font.otf")
shutil.copyfile(F.BUNDLED_FONT, copy)
entry = font_manager.ttfFontProperty(font_manager.get_font(str(copy.resolve())))
fm.ttflist.append(dataclasses.replace(entry, name=F.CJK_FAMILIES[0]))
result["family"] = F.cjk_font()
result["path"] = font_manager.findfont(font_manager.FontProperties(family=result["family"]),
                                       fallback_to_default=False)
result["rc"] = F._rc(result["family"])["font.sans-serif"]
result["bundled_registered"] = any(Path(f.fname) == F.BUNDLED_FONT for f in fm.ttflist)
"""


def test_an_installed_cjk_font_wins_over_the_bundled_one(tmp_path):
    result = _fontless_python(_SYSTEM_FONT, tmp_path)
    assert result["family"] == F.CJK_FAMILIES[0] == "Noto Sans CJK SC"
    assert Path(result["path"]) == (tmp_path / "system-font.otf").resolve()
    assert result["rc"] == ["Noto Sans CJK SC"]
    assert result["bundled_registered"] is False


def test_bundled_font_is_the_recorded_upstream_file():
    font = F.BUNDLED_FONT
    readme = (FONTS / "README.md").read_text(encoding="utf-8")
    recorded = dict(re.findall(r"^\| (size|sha256) \| `?([0-9a-f,]+)", readme, re.M))
    data = font.read_bytes()
    assert hashlib.sha256(data).hexdigest() == recorded["sha256"]
    assert f"{len(data):,}" == recorded["size"]
    from fontTools.ttLib import TTFont

    names = TTFont(font, lazy=True)["name"]
    assert names.getDebugName(1) == F.BUNDLED_FAMILY
    assert names.getDebugName(5).startswith("Version 2.004;")
    assert names.getDebugName(5) in readme
    from matplotlib.font_manager import FontProperties

    assert FontProperties(fname=str(font)).get_name() == F.BUNDLED_FAMILY
    licence = (FONTS / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    assert hashlib.sha256((FONTS / "OFL.txt").read_bytes()).hexdigest() in readme


def test_bundled_font_has_every_character_of_the_place_names_and_labels():
    from fontTools.ttLib import TTFont

    cmap = TTFont(F.BUNDLED_FONT, lazy=True).getBestCmap()
    text = set(F._PROBE) | set("".join(v for labels in F._LISA_LABELS.values() for v in labels.values()))
    for table in ("gazetteer.csv", "counties.csv", "agglomerations.csv", "name_changes.csv"):
        frame = pd.read_csv(data_dir() / table, dtype=str)
        for column in frame.columns:
            text |= set("".join(frame[column].dropna()))
    assert len({ch for ch in text if ord(ch) >= 0x4E00}) > 1000   # a real vocabulary was read
    missing = sorted(ch for ch in text if not ch.isspace() and ord(ch) not in cmap)
    assert missing == []


def test_missing_bundled_font_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setattr(F, "CJK_FAMILIES", ("No Such Font SC",))
    monkeypatch.setattr(F, "BUNDLED_FONT", tmp_path / "gone.otf")
    with pytest.raises(F.MissingFontError, match="Reinstall geodti"):
        F.cjk_font()
