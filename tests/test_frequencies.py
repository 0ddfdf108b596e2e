"""Annual, quarterly and monthly panels at every stage: reading, growth, dynamics, the slider,
the commands and the run. Every panel here is SYNTHETIC (made from the bundled synthetic
sample or from formulas), so the expected numbers follow from the formulas."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from dynamics_fixtures import lattice, panel_from_matrix, quarters

import geodti
from geodti import cli
from geodti.dynamics.convergence import beta_convergence, sigma_convergence, sigma_trend
from geodti.dynamics.distribution import markov
from geodti.dynamics.hotspots import emerging_hotspots
from geodti.errors import InputError, InputWarning, MethodError
from geodti.index.growth import default_window, earlier_period, growth, summary_growth, values_at
from geodti.io.read import to_long
from geodti.periods import parse_span, period_label, settle_months, years_since
from geodti.schema import frequency_of

CITIES = ["北京", "天津", "上海"]


def _years(first: int, n: int) -> list[str]:
    return [str(first + i) for i in range(n)]


def _months(first: str, n: int) -> list[str]:
    return quarters(first, n)  # shift_period steps in the period's own frequency


# --------------------------------------------------------------------------- periods


def test_months_stay_months_only_when_two_fall_in_one_quarter():
    quarter_ends = {"2021-03-31": "2021M03", "2021-06-30": "2021M06"}
    assert settle_months(quarter_ends) == {"2021-03-31": "2021Q1", "2021-06-30": "2021Q2"}
    assert settle_months(quarter_ends, "month") == quarter_ends
    months = {"2021-01": "2021M01", "2021-02": "2021M02"}
    assert settle_months(months) == months
    assert settle_months(months, "quarter") == {"2021-01": "2021Q1", "2021-02": "2021Q1"}


def test_labels_years_and_spans_at_each_frequency():
    assert [period_label(p) for p in ("2021", "2021Q1", "2021M03")] == ["2021", "2021Q1", "2021-03"]
    assert years_since("2021Q1", "2023Q1") == 2.0  # nine quarters: T = 2 years
    assert years_since("2011", "2021") == 10.0
    assert years_since("2021M01", "2022M07") == 1.5
    assert parse_span("2022", "month")[1] == [f"2022M{m:02d}" for m in range(1, 13)]
    assert parse_span("2019-2021", "annual") == ("range", ["2019", "2020", "2021"])
    with pytest.raises(MethodError, match="not understood for a annual panel"):
        parse_span("2021Q1", "annual")


# --------------------------------------------------------------------------- reading


def _long_table(periods: list[str], value=lambda i, j: 1.0 + i + 0.1 * j) -> pd.DataFrame:
    return pd.DataFrame([{"城市": c, "时间": p, "dti": value(i, j)}
                         for i, c in enumerate(CITIES) for j, p in enumerate(periods)])


def test_annual_and_monthly_tables_read_without_a_flag(tmp_path):
    annual = tmp_path / "annual.csv"
    _long_table(["2019", "2020", "2021"]).to_csv(annual, index=False)
    panel = geodti.read_panel(annual)
    assert set(panel["period_type"]) == {"annual"} and frequency_of(panel) == "annual"
    monthly = tmp_path / "monthly.csv"
    _long_table(["2021-01", "2021-02", "2021-03"]).to_csv(monthly, index=False)
    panel = geodti.read_panel(monthly)
    assert sorted(panel["period"].unique()) == ["2021M01", "2021M02", "2021M03"]
    assert set(panel["period_type"]) == {"month"}
    # quarter-end months stay the quarters they always meant, unless the table is declared monthly
    ends = tmp_path / "ends.csv"
    _long_table(["2021-03", "2021-06"]).to_csv(ends, index=False)
    assert sorted(geodti.read_panel(ends)["period"].unique()) == ["2021Q1", "2021Q2"]
    assert sorted(geodti.read_panel(ends, frequency="month")["period"].unique()) == ["2021M03", "2021M06"]


def test_wide_monthly_headers_read_as_months():
    table = pd.DataFrame({"城市": CITIES, "2021-01": [1.0, 2, 3], "2021-02": [2.0, 3, 4]})
    long = to_long(table, value_name="dti")
    assert sorted(long["period"].unique()) == ["2021M01", "2021M02"]


def test_a_table_mixing_frequencies_is_refused_naming_the_rows(tmp_path):
    path = tmp_path / "mixed.csv"
    pd.concat([_long_table(["2021Q1", "2021Q2"]), _long_table(["2020"])]).to_csv(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)  # the reader's note on cities with both
        with pytest.raises(InputError) as err:
            geodti.read_panel(path)
    assert str(err.value) == (
        f"{path}: the table mixes frequencies: 3 annual rows (rows 8, 9, 10); 6 quarter rows "
        "(rows 2, 3, 4, 5, 6 and 1 more). geodti analyses one frequency at a time: choose one "
        "with --frequency annual|quarter (frequency= in Python; the other rows are left out "
        "and counted), or split the table.")
    with pytest.warns(InputWarning, match=r"keeps 6 rows and leaves out 3 annual rows \(rows 8, 9, 10\)"):
        panel = geodti.read_panel(path, frequency="quarter")
    assert set(panel["period"]) == {"2021Q1", "2021Q2"}
    assert panel.attrs["left_out_frequencies"] == {"annual": 3}
    with pytest.raises(InputError, match=r"no row has a month period \(rows per frequency: "
                                         r"quarter 6, annual 3\)"):
        geodti.read_panel(path, frequency="month")


# --------------------------------------------------------------------------- growth


def test_growth_is_year_on_year_at_the_panel_frequency():
    annual = panel_from_matrix(np.array([[100.0, 110.0, 121.0]]), ["110100"], _years(2019, 3))
    g = growth(annual, "dti").set_index("period")
    assert "qoq" not in g.columns and "mom" not in g.columns  # a year's step is the YoY itself
    assert g.loc["2021", "yoy"] == pytest.approx(0.1) and g.loc["2019", "yoy_flag"] == "before_data"
    months = _months("2021M01", 14)
    monthly = panel_from_matrix(np.arange(1.0, 15.0)[None, :], ["110100"], months)
    g = growth(monthly, "dti").set_index("period")
    assert g.loc["2022M02", "yoy"] == pytest.approx(14 / 2 - 1)  # February over February
    assert g.loc["2022M02", "mom"] == pytest.approx(14 / 13 - 1)
    assert g.loc["2021M12", "yoy_flag"] == "before_data"
    s = summary_growth(monthly, "dti", window=("2022M01", "2022M02"))
    assert s["n_months"].iloc[0] == 2
    assert s["growth"].iloc[0] == pytest.approx(np.mean([13 / 1 - 1, 14 / 2 - 1]))
    assert values_at(monthly, "2021Q1", "dti")["dti"].iloc[0] == pytest.approx(2.0)


def test_default_windows_and_comparison_years():
    annual = panel_from_matrix(np.ones((1, 11)), ["110100"], _years(2011, 11))
    assert default_window(annual) == ("2021", "2021")
    assert earlier_period(annual, "2021") == "2020"
    quarterly = panel_from_matrix(np.ones((1, 9)), ["110100"], quarters("2021Q1", 9))
    assert default_window(quarterly) == ("2022Q1", "2023Q1")  # the report's window
    monthly = panel_from_matrix(np.ones((1, 27)), ["110100"], _months("2021M01", 27))
    assert default_window(monthly) == ("2022M04", "2023M03")
    assert earlier_period(monthly, "2023M03") == "2022"
    with pytest.raises(MethodError, match="the panel mixes annual and quarter periods"):
        growth(pd.concat([annual, quarterly]), "dti")


# --------------------------------------------------------------------------- dynamics


def _lattice_panel(periods, rng_seed=3):
    ids, graph, points = lattice(6, 6)
    rng = np.random.default_rng(rng_seed)
    start = rng.uniform(1, 3, len(ids))
    # growth per year 0.05 - 0.02 ln(y0): poorer units grow faster, beta = -0.02 exactly
    rate = 0.05 - 0.02 * np.log(start)
    t = np.array([years_since(periods[0], p) for p in periods])
    noise = rng.uniform(0.99, 1.01, (len(ids), len(periods)))
    noise[:, [0, -1]] = 1.0  # the end points carry the growth exactly
    mat = start[:, None] * np.exp(rate[:, None] * t[None, :]) * noise
    return panel_from_matrix(mat, ids, periods), graph, points


@pytest.mark.parametrize("periods, years", [
    (quarters("2021Q1", 9), 2.0), (_years(2011, 11), 10.0), (_months("2021M01", 25), 2.0)])
def test_convergence_takes_t_in_years(periods, years):
    panel, _, _ = _lattice_panel(periods)
    beta = beta_convergence(panel, by=None)
    assert beta["years"].iloc[0] == pytest.approx(years)
    # growth per year over T years: beta is -0.02 whatever the frequency
    assert beta["beta"].iloc[0] == pytest.approx(-0.02, abs=1e-9)
    trend = sigma_trend(sigma_convergence(panel))
    assert trend["n_periods"].iloc[0] == len(periods)


@pytest.mark.parametrize("periods, length", [
    (_years(2011, 11), "1 year"), (quarters("2021Q1", 9), "1 quarter"), (_months("2021M01", 13), "1 month")])
def test_markov_says_what_a_transition_spans(periods, length):
    panel, _, _ = _lattice_panel(periods)
    out = markov(panel, k=3)
    assert set(out["transitions"]["transition_length"]) == {length}
    assert out["transitions"]["count"].sum() == 36 * (len(periods) - 1)


def test_emerging_hot_spots_on_an_annual_panel_count_periods():
    panel, graph, points = _lattice_panel(_years(2011, 11))
    out = emerging_hotspots(panel, weights=graph, points=points)
    assert (out["n_periods"] == 11).all() and len(out) == 36


# --------------------------------------------------------------------------- commands and run


def _sample_subset() -> pd.DataFrame:
    """56 cities of 江苏, 浙江, 安徽 and 山东 from the bundled SYNTHETIC sample."""
    panel = geodti.read_panel("sample:panel")
    return panel[panel["adcode"].str[:2].isin(["32", "33", "34", "37"])]


def synthetic_annual(years=range(2018, 2022)) -> pd.DataFrame:
    """SYNTHETIC annual panel: each city's 2021Q4 index, deflated by a city-specific rate
    (0.88-0.90 a year) for earlier years."""
    q4 = _sample_subset().query("period == '2021Q4'")
    rate = 0.88 + 0.0033 * (q4["adcode"].astype(int) % 7).to_numpy()
    return pd.concat([pd.DataFrame({"adcode": q4["adcode"].to_numpy(), "period": str(y),
                                    "dti": (q4["dti"].to_numpy() * rate ** (2021 - y)).round(4)})
                      for y in years], ignore_index=True)


def synthetic_monthly(first="2022Q1") -> pd.DataFrame:
    """SYNTHETIC monthly panel: each quarter's value spread over its months (x0.99, x1, x1.01)."""
    q = _sample_subset().query("period >= @first")
    parts = []
    for i, factor in enumerate((0.99, 1.0, 1.01)):
        month = q["period"].map(lambda p: f"{p[:4]}-{3 * (int(p[-1]) - 1) + i + 1:02d}")
        parts.append(pd.DataFrame({"adcode": q["adcode"].to_numpy(), "period": month.to_numpy(),
                                   "dti": (q["dti"] * factor).round(4).to_numpy()}))
    return pd.concat(parts, ignore_index=True)


def test_summary_command_on_mixed_annual_and_monthly_tables(tmp_path, capsys):
    mixed = tmp_path / "mixed.csv"
    pd.concat([synthetic_monthly(), synthetic_annual([2021])]).to_csv(mixed, index=False)
    assert cli.main(["summary", str(mixed)]) == 2
    err = capsys.readouterr().err
    assert "the table mixes frequencies: 56 annual rows" in err and "--frequency annual|month" in err
    assert cli.main(["summary", str(mixed), "--frequency", "month", "--by", "province"]) == 0
    out = capsys.readouterr()
    assert "note: 56 annual rows are left out of the tables (--frequency month)." in out.err
    # fifteen months: the twelve-month window shortened to the months that have a YoY
    assert "period=2023M03" in out.out and "window=2023M01-2023M03" in out.out
    annual = tmp_path / "annual.csv"
    synthetic_annual().to_csv(annual, index=False)
    assert cli.main(["summary", str(annual), "--by", "province"]) == 0
    assert "period=2021" in capsys.readouterr().out


def _monthly_with_annual_rows() -> pd.DataFrame:
    return pd.concat([synthetic_monthly(), synthetic_annual([2021])], ignore_index=True)


@pytest.mark.parametrize("make, frequency, latest, growth_window", [
    (synthetic_annual, None, "2021", "2021-2021"),
    (_monthly_with_annual_rows, "month", "2023M03", "2023M01-2023M03")])
def test_run_end_to_end(tmp_path, make, frequency, latest, growth_window):
    from geodti.run import run
    from geodti.run.config import RunConfig

    table = tmp_path / "table.csv"
    make().to_csv(table, index=False)
    out = tmp_path / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the permutation budget warning of 9 permutations
        result = run(RunConfig(table=str(table), out=str(out), permutations=9, weights=["queen"],
                               frequency=frequency), jobs=1)
    assert [s["step"] for s in result.manifest["steps"]][-1] == "report page"
    ranks = pd.read_csv(out / "tables" / "city_ranks.csv", encoding="utf-8-sig", dtype=str)
    assert set(ranks["later_period"]) == {latest} and set(ranks["window"]) == {growth_window}
    assert (out / f"dti_{latest}.html").exists() and (out / f"growth_dti_{latest}.html").exists()
    slider = (out / "dti_slider.html").read_text(encoding="utf-8")
    assert f'"{period_label(latest)}"' in slider
    page = (out / "index.html").read_text(encoding="utf-8")
    word = {"2021": "year-on-year growth of the annual values",
            "2023M03": "monthly year-on-year growth (each month over the same month"}[latest]
    assert word in page
    if frequency:  # the annual rows the monthly run left out are on the report page
        assert "frequency month: 56 annual rows of the table were left out." in page
    markov_table = pd.read_csv(out / "tables" / "diffusion_markov_transitions.csv", encoding="utf-8-sig")
    assert set(markov_table["transition_length"]) == {"1 year" if latest == "2021" else "1 month"}


def test_a_two_year_table_leaves_out_only_the_emerging_hot_spots(tmp_path, capsys):
    """Two years give year-on-year growth but no Mann-Kendall trend (3 periods at least): the
    emerging hot spots are left out with a note, every other diffusion table is there."""
    from geodti.dynamics.hotspots import MIN_EHSA_PERIODS
    from geodti.dynamics.summary import diffusion_tables

    panel = synthetic_annual(range(2020, 2022))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tables = diffusion_tables(panel, "dti", permutations=9)
    assert "emerging_hotspots" not in tables and "gi_star" in tables and "summary" in tables
    assert any(f"at least {MIN_EHSA_PERIODS} periods, the panel has 2" in n for n in tables["notes"])
    table = tmp_path / "two_years.csv"
    panel.to_csv(table, index=False)
    assert cli.main(["diffusion", str(table)]) == 0
    assert "Emerging hot spots left out" in capsys.readouterr().err
