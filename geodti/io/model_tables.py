"""Writers of the model tables: CSV (every table), Markdown and LaTeX (the table as papers
print it)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .atomic import write_text
from .tables import to_markdown, write_table

__all__ = ["NOTE", "to_latex", "write_model_tables", "write_paper_table", "PAPER_FORMATS"]

#: formats of the paper-style table besides CSV
PAPER_FORMATS = ("md", "tex")

#: the note under a paper-style table
NOTE = "Standard errors in brackets; *** p<0.01, ** p<0.05, * p<0.1."


def to_latex(table: pd.DataFrame, caption: str | None = None) -> str:
    """A ``table`` environment (booktabs rules) of a text table, with the stars note."""
    escaped = table.map(lambda v: str(v).replace("_", r"\_").replace("%", r"\%"))
    escaped.columns = [str(c).replace("_", r"\_") for c in table.columns]
    body = escaped.style.hide(axis="index").to_latex(
        column_format="l" + "c" * (len(table.columns) - 1), hrules=True)
    parts = [r"\begin{table}[htbp]", r"\centering"]
    if caption:
        parts.append(r"\caption{" + caption.replace("_", r"\_") + "}")
    parts += [body.rstrip(), r"\par\footnotesize " + NOTE, r"\end{table}", ""]
    return "\n".join(parts)


def write_model_tables(tables: dict[str, pd.DataFrame], folder: str | os.PathLike, *,
                       caption: str | None = None) -> list[Path]:
    """Write each table as ``<name>.csv`` into ``folder``, and the paper-style ``table`` also
    as ``table.md`` and ``table.tex``; every file atomically. Returns the written paths."""
    folder = Path(folder)
    written = [write_table(t, folder / f"{name}.csv") for name, t in tables.items()]
    if "table" in tables:
        written.extend(write_paper_table(tables["table"], folder, "table", caption=caption))
    return written


def write_paper_table(paper: pd.DataFrame, folder: str | os.PathLike, stem: str, *,
                      caption: str | None = None) -> list[Path]:
    """Write the paper-style table as ``<stem>.md`` (with the stars note) and ``<stem>.tex``,
    atomically. Returns the written paths."""
    folder = Path(folder)
    return [write_text(folder / f"{stem}.md", to_markdown(paper) + "\n" + NOTE + "\n"),
            write_text(folder / f"{stem}.tex", to_latex(paper, caption))]
