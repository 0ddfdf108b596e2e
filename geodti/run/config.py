"""Run configuration: everything the ``geodti run`` flags hold, loadable from TOML.

A run writes its effective configuration into its manifest and as ``geodti.toml`` next to
the outputs, so ``geodti run --config OUT/geodti.toml`` repeats it exactly.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from geodti import defaults
from geodti.errors import InputError


@dataclass
class RunConfig:
    """Settings of one ``geodti run``.

    Attributes mirror the CLI flags; ``None`` for ``table`` means the bundled synthetic sample.
    """

    table: str | None = None
    out: str = "maps"
    city_column: str | None = None
    province_column: str | None = None
    parent_column: str | None = None  # county table: the containing city's column; None: detected
    period_column: str | None = None
    sheet: str | None = None
    encoding: str | None = None  # CSV text encoding; None: detected
    header_row: int | None = None  # spreadsheet row of the header; None: detected
    allow_unmatched: bool = False
    allow_county: bool = False  # rows naming a county stand for its containing city
    layout: str = "auto"  # long, wide or detected
    period: str | None = None  # the one period of a table without period information
    value_name: str = "value"  # the name of a wide table's value
    missing: str = "error"  # missing values: geodti.io.panel.MISSING
    level: str | None = None  # province, city or county; None: detected from the table
    crosswalk: str | None = None  # sum or weighted_mean: merged units onto their successor
    crosswalk_weight: str | None = None  # the weight column of crosswalk weighted_mean
    crosswalk_shares: str | None = None  # successors' shares of split units (巢湖): with sum
    frequency: str | None = None  # annual / quarter / month: keep those rows; None: the table's one
    variables: list[str] = field(default_factory=list)
    # raw indicators: with both score tables the table is read as raw indicators (a row per
    # city, period and indicator) and the index is built by the report's method
    indicator_scores: str | None = None
    layer_scores: str | None = None
    framework: str | None = None  # indicator -> layer table; default the report's (data/)
    base_period: str | None = None  # None: 2021Q1 for quarters, else the table's earliest period
    growth_window: list[str] | None = None  # None: the last five quarters (12 months, 1 year) with YoY
    groups: str | None = None
    seed: int = defaults.SEED
    permutations: int = defaults.PERMUTATIONS
    weights: list[str] = field(default_factory=lambda: list(defaults.WEIGHTS))
    statistics_variables: list[str] = field(default_factory=list)  # empty: the index and its layers
    layer_resolution: str = "map"
    xlsx_max_rows: int = 5000  # larger tables go to CSV only (listed in the workbook); 0: no limit
    # a second index (e.g. future industries): another table read and matched like TABLE with
    # the same reading settings, or (second None) another value column of TABLE
    second: str | None = None
    second_variable: str | None = None  # its value column; default the second table's first
    correction: str = defaults.CORRECTION
    alpha: float = defaults.ALPHA
    force: bool = False
    # spatial panel models ([run.model] in the file): y, x and optionally the MODEL_SETTINGS
    model: dict[str, Any] | None = None

    @classmethod
    def from_toml(cls, path: str | Path) -> RunConfig:
        """Read a config file; unknown keys are an error (a typo must not be ignored)."""
        path = Path(path)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"{path}: config file not found.") from None
        except IsADirectoryError:
            raise InputError(f"{path}: is a folder; --config names a TOML file, e.g. "
                             "maps/geodti.toml.") from None
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"{path}: not valid TOML ({exc}); fix the file or omit --config.") from None
        raw = raw.get("run", raw)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise InputError(
                f"{path}: unknown setting(s) {', '.join(unknown)}; known settings are "
                f"{', '.join(sorted(known))}."
            )
        return cls(**raw).validated(source=str(path))

    def updated(self, **overrides: Any) -> RunConfig:
        """Copy with the given fields replaced; ``None`` values (flags not given) are ignored."""
        given = {k: v for k, v in overrides.items() if v is not None}
        return dataclasses.replace(self, **given).validated()

    def validated(self, source: str = "configuration") -> RunConfig:
        for key in ("seed", "permutations"):
            value = getattr(self, key)
            if not isinstance(value, int) or isinstance(value, bool):
                raise InputError(f"{source}: {key} must be a whole number, got {value!r}.")
        if self.seed < 0:
            raise InputError(f"{source}: seed must be >= 0 (random generators take a "
                             f"non-negative seed), got {self.seed}.")
        if self.permutations < 1:
            raise InputError(f"{source}: permutations must be at least 1, got "
                             f"{self.permutations}: {permutation_only()} have no analytic test, "
                             "their p-values come from the permutations. Use e.g. 99 for a "
                             f"quick run (default {defaults.PERMUTATIONS}).")
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, (int, float)):
            raise InputError(f"{source}: alpha must be a number between 0 and 1, got {self.alpha!r}.")
        if not 0 < self.alpha < 1:
            raise InputError(f"{source}: alpha must be between 0 and 1, got {self.alpha}.")
        if self.correction not in {"none", "fdr", "bonferroni"}:
            raise InputError(
                f"{source}: correction must be none, fdr or bonferroni, got {self.correction!r}."
            )
        if self.missing not in ("error", "drop-unit-periods", "drop-units"):
            raise InputError(f"{source}: missing must be error, drop-unit-periods or drop-units, "
                             f"got {self.missing!r}.")
        if self.layout not in ("auto", "long", "wide"):
            raise InputError(f"{source}: layout must be auto, long or wide, got {self.layout!r}.")
        if self.layer_resolution not in {"map", "detailed"}:
            raise InputError(
                f"{source}: layer_resolution must be map or detailed, got {self.layer_resolution!r}."
            )
        if (self.indicator_scores is None) != (self.layer_scores is None):
            raise InputError(
                f"{source}: building the index needs both indicator_scores and layer_scores "
                "(experts x indicators and experts x layers); give both, or neither for a table "
                "of index values.")
        if self.framework is not None and self.indicator_scores is None:
            raise InputError(f"{source}: framework is used only with indicator_scores and "
                             "layer_scores (a raw-indicator table).")
        if self.level is not None and self.level not in ("province", "city", "county"):
            raise InputError(f"{source}: level must be province, city or county, got {self.level!r}.")
        if not self.weights:
            raise InputError(f"{source}: weights needs at least one specification, e.g. queen.")
        if self.frequency not in (None, "annual", "quarter", "month"):
            raise InputError(f"{source}: frequency must be annual, quarter or month, got "
                             f"{self.frequency!r}.")
        if self.growth_window is not None and len(self.growth_window) != 2:
            raise InputError(f"{source}: growth_window needs two periods [first, last].")
        if self.model is not None:
            check_model_settings(self.model, source)
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_toml(self) -> str:
        """TOML text of this configuration (``None`` values are left out, as TOML has no null)."""
        lines = ["# geodti run configuration; repeat with: geodti run --config <this file>", "[run]"]
        for key, value in self.to_dict().items():
            if value is None:
                continue
            lines.append(f"{key} = {_toml_value(value)}")
        return "\n".join(lines) + "\n"


#: The settings of ``[run.model]`` and their meaning (``geodti.model.spatial_panel_models``).
MODEL_SETTINGS = {
    "y": "the dependent variable: a value column of the table",
    "x": "the covariates: a list of value columns",
    "models": 'models among ols, sar, sem, sdm, sac (default ["ols", "sar", "sem", "sdm"])',
    "effects": "none, unit, time, twoway (default) or random",
    "weights": "one weights spec (default the run's first weights)",
    "lee_yu": "Lee & Yu (2010) bias correction of two-way effects (default true)",
    "draws": f"parameter draws for the effects' standard errors (default {defaults.DRAWS})",
    "balance": "leave out cities missing in some periods instead of refusing (default false)",
}


def permutation_only() -> str:
    """The run's local statistics whose p-values come from permutations only (their
    supported inference in :data:`geodti.spatial.registry.LOCAL_STATISTICS`), e.g. "LISA"."""
    from geodti.spatial.registry import DEFAULT_LOCAL_STATISTICS, LOCAL_STATISTICS

    return ", ".join(LOCAL_STATISTICS[name].title for name in DEFAULT_LOCAL_STATISTICS
                     if "analytic" not in LOCAL_STATISTICS[name].inference)


def check_model_settings(settings: Any, source: str = "configuration") -> None:
    """Refuse ``[run.model]`` settings that are unknown or of the wrong type, naming them."""
    from geodti.model import EFFECTS, MODELS

    where = f"{source}: [run.model]"
    if not isinstance(settings, dict):
        raise InputError(f"{where} must be a table of settings ({', '.join(MODEL_SETTINGS)}).")
    unknown = sorted(set(settings) - set(MODEL_SETTINGS))
    if unknown:
        raise InputError(f"{where}: unknown setting(s) {', '.join(unknown)}; known are "
                         + "; ".join(f"{k}: {v}" for k, v in MODEL_SETTINGS.items()) + ".")
    if not isinstance(settings.get("y"), str):
        raise InputError(f'{where}: y names the dependent variable\'s column, e.g. y = "dti".')
    x = settings.get("x")
    if not (isinstance(x, list) and x and all(isinstance(c, str) for c in x)):
        raise InputError(f'{where}: x lists the covariates\' columns, e.g. x = ["a", "b"].')
    models = settings.get("models", list(MODELS))
    if not isinstance(models, list) or not models or any(m not in MODELS for m in models):
        raise InputError(f"{where}: models {models!r}: a list of {', '.join(MODELS)}.")
    effects = settings.get("effects", "twoway")
    if effects not in (*EFFECTS, "random"):
        raise InputError(f"{where}: effects {effects!r}: one of {', '.join(EFFECTS)}, random.")
    for key, kind in (("weights", str), ("lee_yu", bool), ("draws", int), ("balance", bool)):
        if key in settings and not isinstance(settings[key], kind):
            raise InputError(f"{where}: {key} {settings[key]!r}: {MODEL_SETTINGS[key]}.")
    if settings.get("draws", 0) < 0:
        raise InputError(f"{where}: draws must be >= 0, got {settings['draws']}.")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):  # an inline table; the keys are settings' names (bare keys)
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} to TOML")
