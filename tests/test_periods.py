import datetime as dt

import numpy as np
import pandas as pd
import pytest

from geodti import periods
from geodti.errors import InputError, MethodError
from geodti.periods import (
    PeriodError,
    check_period,
    is_period,
    month_of,
    parse_period,
    parse_periods,
    parse_span,
    period_number,
    period_sort_key,
    period_type,
    periods_between,
    quarter_of,
    shift_period,
    shift_quarter,
    sort_periods,
    year_earlier,
    year_of,
)

QUARTER_FORMS = [
    ("2021Q1", "2021Q1"),
    ("2021q1", "2021Q1"),
    ("2021-Q1", "2021Q1"),
    ("2021 Q1", "2021Q1"),
    ("2021_Q2", "2021Q2"),
    ("2021/Q3", "2021Q3"),
    ("2021Q01", "2021Q1"),
    ("2021年Q2", "2021Q2"),
    ("Q1 2021", "2021Q1"),
    ("q4-2022", "2022Q4"),
    ("Q3/2020", "2020Q3"),
    ("2021年一季度", "2021Q1"),
    ("2021年二季度", "2021Q2"),
    ("2022年三季度", "2022Q3"),
    ("2022年四季度", "2022Q4"),
    ("2021年第1季度", "2021Q1"),
    ("2021年第一季度", "2021Q1"),
    ("2021年1季度", "2021Q1"),
    ("2021年 第 四 季度", "2021Q4"),
    ("2021年第二季", "2021Q2"),
    ("２０２１年第四季度", "2021Q4"),  # full-width digits
    ("２０２１Ｑ３", "2021Q3"),
    ("  2023Q1 ", "2023Q1"),
]

DATE_AND_MONTH_FORMS = [
    ("2021-03-31", "2021Q1"),
    ("2021-04-01", "2021Q2"),
    ("2021/3/31", "2021Q1"),
    ("2021.09.30", "2021Q3"),
    ("20211231", "2021Q4"),
    ("2021年6月30日", "2021Q2"),
    ("2021-08-15 00:00:00", "2021Q3"),
    ("2021-08-15T12:30:00", "2021Q3"),
    ("3/31/2021", "2021Q1"),  # US Excel: only one reading is a date
    ("31/3/2021", "2021Q1"),
    ("2/3/2021", "2021Q1"),  # 3 Feb or 2 Mar: both in Q1
    ("2021-03", "2021Q1"),
    ("2021/07", "2021Q3"),
    ("2021.10", "2021Q4"),  # the text a float would have mangled to 2021.1
    ("2021.01", "2021Q1"),
    ("2021年3月", "2021Q1"),
    ("2021年11月", "2021Q4"),
    ("202112", "2021Q4"),
]

ANNUAL_FORMS = [("2021", "2021"), ("2021年", "2021"), ("2021年度", "2021"), ("2021.0", "2021")]


@pytest.mark.parametrize(("text", "expected"), QUARTER_FORMS + DATE_AND_MONTH_FORMS + ANNUAL_FORMS)
def test_text_forms(text, expected):
    assert parse_period(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2021, "2021"),
        (np.int64(2022), "2022"),
        (2021.0, "2021"),  # a year column read with blanks becomes float
        (np.float64(2020.0), "2020"),
        (dt.date(2021, 5, 1), "2021Q2"),
        (dt.datetime(2021, 12, 31, 23, 59), "2021Q4"),
        (pd.Timestamp("2022-07-01"), "2022Q3"),
        (np.datetime64("2022-01-05"), "2022Q1"),
        (pd.Period("2021Q3", freq="Q"), "2021Q3"),
        (pd.Period("2021", freq="Y"), "2021"),
        (pd.Period("2021-11", freq="M"), "2021Q4"),
        (pd.Period("2021-02-03", freq="D"), "2021Q1"),
    ],
)
def test_objects(value, expected):
    assert parse_period(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2021H1", "not a recognised form"),
        ("21Q1", "not a recognised form"),
        ("2021Q5", "quarter 5 is not 1-4"),
        ("2021Q0", "quarter 0 is not 1-4"),
        ("2021年五季度", "not a recognised form"),
        ("1899", "outside 1900-2100"),
        ("2021-13", "month 13 is not 1-12"),
        ("2021-02-30", "not a valid date"),
        ("2021.1", "ambiguous"),  # January, or October with its zero dropped
        ("2021-1", "ambiguous"),  # month or quarter
        ("3/5/2021", "ambiguous"),  # 5 March (Q1) or 3 May (Q2)
        ("", "blank"),
        (None, "blank"),
        (float("nan"), "blank"),
        (pd.NaT, "blank"),
        (True, "true/false"),
        (2021.5, "ambiguous"),
        ("全年", "not a recognised form"),
        (pd.Period("2021Q1", freq="Q-MAR"), "fiscal quarters"),
        (pd.Period("2021-03-29", freq="W"), "spans two quarters"),
        ([2021], "type list"),
    ],
)
def test_refused_values_name_the_value_reason_and_accepted_forms(value, reason):
    with pytest.raises(InputError) as info:
        parse_period(value)
    message = str(info.value)
    assert reason in message
    assert repr(value) in message
    assert "Accepted period forms" in message and "2021年一季度" in message


def test_period_type_year_and_quarter():
    assert period_type("2021Q1") == "quarter"
    assert period_type("2021年第二季度") == "quarter"
    assert period_type(2021) == "annual"
    assert period_type("2021年") == "annual"
    assert year_of("2022Q4") == 2022 and year_of("2019") == 2019
    assert quarter_of("2022Q4") == 4 and quarter_of("2022") is None
    with pytest.raises(InputError):
        period_type("2021H2")


def test_sort_periods_is_chronological_and_matches_string_order():
    mixed = ["2022Q1", "2021年四季度", "2021", "2021-03-31", "2020", "2021Q2"]
    ordered = sort_periods(mixed)
    assert ordered == ["2020", "2021", "2021Q1", "2021Q2", "2021Q4", "2022Q1"]
    # the annual period precedes its quarters, as plain string sorting of normal forms does
    assert ordered == sorted(ordered)
    assert sort_periods(["2021Q1", "2021Q1"]) == ["2021Q1", "2021Q1"]  # duplicates kept
    assert period_sort_key("2021") < period_sort_key("2021Q1") < period_sort_key("2022")


def test_shift_quarter():
    assert shift_quarter("2021Q4", 1) == "2022Q1"
    assert shift_quarter("2021Q1", -1) == "2020Q4"
    assert shift_quarter("2021Q1", 8) == "2023Q1"
    assert shift_quarter("2021年三季度", 0) == "2021Q3"
    with pytest.raises(InputError, match="annual"):
        shift_quarter("2021", 1)
    with pytest.raises(InputError, match="out of range"):
        shift_quarter("2100Q4", 1)
    with pytest.raises(TypeError):
        shift_quarter("2021Q1", 1.0)


def test_periods_between():
    nine = periods_between("2021Q1", "2023Q1")  # the 2023 DTI report's nine quarters
    assert len(nine) == 9
    assert nine[0] == "2021Q1" and nine[4] == "2022Q1" and nine[-1] == "2023Q1"
    assert all(shift_quarter(a, 1) == b for a, b in zip(nine, nine[1:], strict=False))
    assert periods_between("2021Q3", "2021Q3") == ["2021Q3"]
    assert periods_between("2019", "2021") == ["2019", "2020", "2021"]
    assert periods_between("2021M11", "2022M02") == ["2021M11", "2021M12", "2022M01", "2022M02"]
    with pytest.raises(InputError, match="ends before it starts"):
        periods_between("2022Q1", "2021Q4")
    with pytest.raises(InputError, match="not of one frequency"):
        periods_between("2021", "2022Q1")


def test_months_only_when_asked_for():
    # today's quarterly reading is unchanged: a month is the quarter containing it
    assert parse_period("2021-05") == "2021Q2"
    assert parse_period("2021M05") == "2021Q2"
    for form in ("2021-05", "2021M05", "2021m5", "2021年5月", "202105", "2021-05-31",
                 pd.Period("2021-05", freq="M")):
        assert parse_period(form, monthly=True) == "2021M05"
    assert parse_period("2021Q2", monthly=True) == "2021Q2"  # quarters stay quarters
    with pytest.raises(InputError, match="month 13"):
        parse_period("2021M13", monthly=True)
    assert list(parse_periods(["2021-01", "2021-12"], monthly=True)) == ["2021M01", "2021M12"]
    assert period_type("2021M05") == "month"
    assert (year_of("2021M05"), quarter_of("2021M05"), month_of("2021M05")) == (2021, 2, 5)
    assert month_of("2021Q2") is None
    ordered = sort_periods(["2021M04", "2021Q2", "2021", "2021M01", "2021Q1"])
    assert ordered == ["2021", "2021Q1", "2021M01", "2021Q2", "2021M04"]


def test_shift_and_year_on_year_partner_in_each_frequency():
    assert shift_period("2021M12", 1) == "2022M01"
    assert shift_period("2021", 2) == "2023"
    assert shift_period("2021Q1", -5) == "2019Q4"
    assert year_earlier("2021Q1") == "2020Q1"
    assert year_earlier("2021M07") == "2020M07"
    assert year_earlier("2021") == "2020"
    with pytest.raises(InputError, match="out of range"):
        year_earlier("1900Q2")
    with pytest.raises(InputError, match="month"):
        shift_quarter("2021M01", 1)


def test_period_number_steps_within_a_frequency():
    assert period_number("2023Q1") - period_number("2021Q1") == 8
    assert period_number("2022M03") - period_number("2021M03") == 12
    assert period_number("2022") - period_number("2020") == 2
    with pytest.raises(MethodError, match="not a quarter"):
        period_number("2022", "quarter")


def test_normal_form_checks_and_period_error_is_both_kinds():
    assert is_period("2021Q1") and is_period("2021") and is_period("2021M01")
    assert is_period("2021Q1", "quarter") and not is_period("2021", "quarter")
    assert not is_period("2021年一季度") and not is_period(2021) and not is_period("2021M13")
    assert check_period("2021", "annual") == "2021"
    with pytest.raises(PeriodError, match="base period '2021Q5'") as info:
        check_period("2021Q5", "quarter", "base period")
    # a bad period is an input error (a table's cell) and a method error (an argument)
    assert isinstance(info.value, InputError) and isinstance(info.value, MethodError)
    with pytest.raises(PeriodError) as refused:
        parse_period("2021H1")
    assert refused.value.reason == "it is not a recognised form"
    assert "Accepted period forms" in str(refused.value)
    with pytest.raises(PeriodError, match="not a quarter"):
        sort_periods(["2021Q1", "2021"], frequency="quarter")
    assert sort_periods(["2021Q2", "2021Q1", "2021Q2"], distinct=True) == ["2021Q1", "2021Q2"]


def test_parse_span():
    assert parse_span("2023Q1") == ("quarter", ["2023Q1"])
    assert parse_span(" 2022 ") == ("annual", ["2022Q1", "2022Q2", "2022Q3", "2022Q4"])
    kind, quarters = parse_span("2021Q1-2023Q1")
    assert kind == "range" and len(quarters) == 9
    with pytest.raises(MethodError, match="not understood"):
        parse_span("2021-2022")
    with pytest.raises(MethodError, match="ends before it starts"):
        parse_span("2022Q1-2021Q1")


def test_parse_periods_parses_each_distinct_value_once(monkeypatch):
    calls = []
    original = periods._parse

    def counting(value, monthly=False):
        calls.append(value)
        return original(value, monthly)

    monkeypatch.setattr(periods, "_parse", counting)
    values = pd.Series(["2021Q1", "2021年一季度", "2021-03-31"] * 400, index=range(10, 1210))
    out = parse_periods(values)
    assert len(calls) == 3
    assert (out == "2021Q1").all()
    assert list(out.index) == list(values.index)


def test_parse_periods_raise_lists_labels_and_coerce_gives_missing():
    values = pd.Series(["2021Q1", "2021H1", None, "2022"], index=[5, 6, 7, 8], name="季度")
    with pytest.raises(InputError) as info:
        parse_periods(values)
    message = str(info.value)
    assert "2 values in '季度'" in message
    assert "6: '2021H1'" in message and "7: blank" in message
    coerced = parse_periods(values, errors="coerce")
    assert coerced[5] == "2021Q1" and coerced[8] == "2022"
    assert coerced[[6, 7]].isna().all()
    # plain iterables work too, with mixed types
    assert list(parse_periods([2021, "2021Q2", dt.date(2021, 8, 1)])) == ["2021", "2021Q2", "2021Q3"]
