"""Flags shared by the commands: the one argument group for reading a city table, its
readers, and the help formatter every command uses."""

from __future__ import annotations

import argparse
import re
import warnings

from geodti.errors import InputWarning

__all__ = [
    "ALLOW_COUNTY_HELP",
    "DefaultsHelpFormatter",
    "LEVEL_HELP",
    "READ_OPTIONS",
    "add_table_arguments",
    "parse_window",
    "read_city_panel",
    "read_table_from_args",
    "table_options",
]


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """Help that shows each option's default value unless the help text already speaks of
    it (e.g. "default: detected", or a default described in words)."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.default in (None, False, argparse.SUPPRESS) or "default" in text.lower():
            return text
        return f"{text} (default: %(default)s)"


ALLOW_COUNTY_HELP = ("let a row naming a county-level unit (甘南县, 安达市) stand for the city "
                     "containing it; a county's value is not its city's value, so only if the "
                     "row's value is meant for the city (default: such rows stop the read)")

#: dest of each flag of the group -> keyword of :func:`geodti.io.panel.read_panel`,
#: :func:`geodti.io.read.read_long` and :class:`geodti.run.config.RunConfig`
READ_OPTIONS = {
    "sheet": "sheet", "encoding": "encoding", "header_row": "header_row",
    "city_column": "city_column", "province_column": "province_column",
    "period_column": "period_column", "table_period": "period", "layout": "layout",
    "value_columns": "value_columns", "value_name": "value_name",
    "allow_unmatched": "allow_unmatched", "allow_county": "allow_county", "level": "level",
    "crosswalk": "crosswalk", "crosswalk_weight": "crosswalk_weight",
    "crosswalk_shares": "crosswalk_shares",
    "frequency": "frequency", "parent_column": "parent_column",
}
_MATCHING = ("allow_unmatched", "allow_county", "level", "crosswalk", "crosswalk_weight",
             "crosswalk_shares")

LEVEL_HELP = ("level of the table's units: province (34), city (370) or county (~2,850) "
              "(default: detected from the names or codes; a table whose names fit two "
              "levels, such as 北京, 吉林, 海南 alone, needs it)")


def add_table_arguments(parser: argparse.ArgumentParser, *, table_help: str,
                        optional: bool = False, periods: bool = True, shape: bool = False,
                        unmatched: str | None = None, county: bool = True) -> None:
    """Add the flags that say how to read a city table (every command that reads one).

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The command's parser.
    table_help : str
        Help of the ``TABLE`` argument (dest ``table``).
    optional : bool
        ``TABLE`` may be left out (the run then reads the bundled sample).
    periods : bool
        Add ``--period-column`` (not for a command that ignores periods, such as match).
    shape : bool
        Add ``--period``, ``--layout``, ``--value-column`` and ``--value-name``, which reshape
        a table without period information or a wide table.
    unmatched : str, optional
        Help of ``--allow-unmatched``, worded for the command; None: the command matches no
        cities and takes neither that flag nor ``--allow-county``.
    county : bool
        With ``unmatched``: add ``--allow-county`` too.
    """
    parser.add_argument("table", metavar="TABLE", nargs="?" if optional else None,
                        help=table_help)
    parser.add_argument("--sheet", help="XLSX sheet name or 0-based number (default: the first)")
    parser.add_argument("--encoding", help="CSV text encoding, e.g. utf-8, gbk (default: detected)")
    parser.add_argument("--header-row", type=int,
                        help="spreadsheet row of the header (default: detected)")
    parser.add_argument("--city-column",
                        help="column of city names or adcodes (default: detected from headers "
                             "such as city, 城市, 城市名称, 地区, name, adcode, 行政区划代码)")
    parser.add_argument("--province-column",
                        help="column of province names, if any; decides homophones such as "
                             "Taizhou (台州/泰州) and 吉林/海南")
    parser.add_argument("--parent-column", metavar="COLUMN",
                        help="in a county table, the column of the city containing each county "
                             "(names or codes); decides a county name shared by several cities "
                             "(朝阳区 of 北京 or 长春) (default: a column headed 城市, 地级市, "
                             "所属城市 ... beside a county column headed 区县, 县, county)")
    if periods:
        parser.add_argument(
            "--period-column",
            help="column of periods in a long table, or YEAR,QUARTER columns (default: detected)")
        parser.add_argument(
            "--frequency", choices=("annual", "quarter", "month"),
            help="analyse the rows of this frequency only and report the others; also reads "
                 "months written as quarter ends (2021-03, 2021-06) as months (default: the "
                 "table's one frequency; a table mixing frequencies is refused)")
    if shape:
        # dest table_period: several commands have a --period of their own meaning
        parser.add_argument("--period", dest="table_period", metavar="PERIOD",
                            help="the one period of a table without period information, "
                                 "e.g. 2023Q1")
        parser.add_argument(
            "--layout", choices=("auto", "long", "wide"), default="auto",
            help="long: a row per city and period; wide: a column per period (default: auto)")
        parser.add_argument(
            "--value-column", action="append", dest="value_columns", metavar="COLUMN",
            help="a value column (repeat for several; default: every numeric column, or every "
                 "period column)")
        parser.add_argument("--value-name", default="value", help="name of the value in a wide table (default: value)")
    if unmatched is not None:
        from geodti.places.levels import LEVELS

        parser.add_argument("--level", choices=LEVELS, help=LEVEL_HELP)
        if county:  # commands that read a panel (not match, which reads names only)
            parser.add_argument(
                "--crosswalk", choices=("sum", "weighted_mean"),
                help="add the rows of a unit merged into another (莱芜 -> 济南, 2019) to its "
                     "successor's row of the same period: sum for additive variables, "
                     "weighted_mean (with --crosswalk-weight) for intensive ones; every row so "
                     "treated is in the match report (default: such rows are unmatched)")
            parser.add_argument("--crosswalk-weight", metavar="COLUMN",
                                help="the weight column of --crosswalk weighted_mean, e.g. population")
            parser.add_argument(
                "--crosswalk-shares", metavar="FILE",
                help="with --crosswalk sum: each successor's share of a unit dissolved over "
                     "several (巢湖, 2011), columns old_adcode (or old_name), new_adcode (or "
                     "new_name), share; the old unit's rows are split by the shares and added "
                     "to its successors' rows (template: "
                     "data/templates/crosswalk_shares_TEMPLATE.csv)")
        parser.add_argument("--allow-unmatched", action="store_true", help=unmatched)
        if county:
            parser.add_argument("--allow-county", action="store_true", help=ALLOW_COUNTY_HELP)


def table_options(args: argparse.Namespace, *, matching: bool = True) -> dict:
    """The reading keywords the group's flags in ``args`` hold (only the flags the command
    has); ``matching=False`` leaves out the city-matching ones."""
    return {keyword: getattr(args, dest) for dest, keyword in READ_OPTIONS.items()
            if hasattr(args, dest) and (matching or dest not in _MATCHING)}


def read_table_from_args(args: argparse.Namespace):
    """Read and reshape the table named by :func:`add_table_arguments`' flags (no matching)."""
    from geodti.io.read import read_long

    return read_long(args.table, **table_options(args, matching=False))


def read_city_panel(args: argparse.Namespace, err, *, left_out: str,
                    variable: str | None = None):
    """The panel (of one frequency: annual, quarterly or monthly) named by ``args.table`` and
    :func:`add_table_arguments`' flags, with only the rows whose city matched (the others,
    and rows of another frequency left out by ``--frequency``, are counted in notes on ``err``).

    ``left_out`` words the message for the command (e.g. "left out of the tables");
    ``variable``, if given, must be a column of the table.
    """
    from geodti.errors import InputError
    from geodti.io.panel import read_panel
    from geodti.schema import schema_of

    with warnings.catch_warnings():
        # the note below says what --frequency left out, once
        warnings.simplefilter("ignore", InputWarning)
        raw = read_panel(args.table, **table_options(args))
    for kind, n in raw.attrs.get("left_out_frequencies", {}).items():
        err.print(f"note: {n} {kind} rows are {left_out} (--frequency {args.frequency}).",
                  highlight=False)
    if variable is not None and variable not in raw.columns:
        raise InputError(f"{args.table}: no column {variable!r}; value columns are "
                         f"{list(schema_of(raw).value_columns)}. Pass --variable.")
    unmatched = raw["adcode"].isna()
    if unmatched.any():
        err.print(f"note: {int(unmatched.sum())} rows whose city did not match are {left_out} "
                  "(geodti match lists them).", highlight=False)
    return raw.loc[~unmatched].reset_index(drop=True)


_PERIOD = r"\d{4}(?:Q[1-4]|M(?:0[1-9]|1[0-2]))?"


def parse_window(text: str, panel=None) -> tuple[str, str] | None:
    """``--window FIRST-LAST`` (two periods of one frequency: 2022Q1-2023Q1, 2019-2021,
    2022M01-2022M12) as a pair; None for ``none``; ``auto`` with ``panel``: the default
    window at the panel's frequency (:func:`geodti.index.growth.default_window`)."""
    from geodti.errors import InputError

    if text.lower() == "none":
        return None
    if text.lower() == "auto" and panel is not None:
        from geodti.index.growth import default_window

        return default_window(panel)
    m = re.fullmatch(rf"({_PERIOD})-({_PERIOD})", text)
    if not m:
        raise InputError(f"--window {text!r}: write it as 2022Q1-2023Q1 (2019-2021 for years, "
                         "2022M01-2022M12 for months), 'auto' or 'none'.")
    return m.group(1), m.group(2)
