"""Writers of the model tables: CSV (every table), Markdown and LaTeX (the table as papers
print it)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .atomic import write_text
from .tables import to_markdown, write_table

__all__ = ["to_latex", "write_model_tables", "PAPER_FORMATS"]

#: formats of the paper-style table besides CSV
PAPER_FORMATS = ("md", "tex")

_NOTE = "Standard errors in brackets; *** p<0.01, ** p<0.05, * p<0.1."


def to_latex(table: pd.DataFrame, caption: str | None = None) -> str:
    """A ``table`` environment (booktabs rules) of a text table, with the stars note."""
    escaped = table.map(lambda v: str(v).replace("_", r"\_").replace("%", r"\%"))
    escaped.columns = [str(c).replace("_", r"\_") for c in table.columns]
    body = escaped.style.hide(axis="index").to_latex(
        column_format="l" + "c" * (len(table.columns) - 1), hrules=True)
    parts = [r"\begin{table}[htbp]", r"\centering"]
    if caption:
        parts.append(r"\caption{" + caption.replace("_", r"\_") + "}")
    parts += [body.rstrip(), r"\par\footnotesize " + _NOTE, r"\end{table}", ""]
    return "\n".join(parts)


def write_model_tables(tables: dict[str, pd.DataFrame], folder: str | os.PathLike, *,
                       caption: str | None = None) -> list[Path]:
    """Write each table as ``<name>.csv`` into ``folder``, and the paper-style ``table`` also
    as ``table.md`` and ``table.tex``; every file atomically. Returns the written paths."""
    folder = Path(folder)
    written = [write_table(t, folder / f"{name}.csv") for name, t in tables.items()]
    if "table" in tables:
        paper = tables["table"]
        written.append(write_text(folder / "table.md",
                                  to_markdown(paper) + "\n" + _NOTE + "\n"))
        written.append(write_text(folder / "table.tex", to_latex(paper, caption)))
    return written
