"""Printing for the commands: tables to a terminal or to a pipe."""

from __future__ import annotations

__all__ = ["console", "print_table"]


def console(*, stderr: bool = False):
    """A rich console for a command's messages. On a terminal it wraps lines to the window;
    written to a pipe or a file (logs, CI) it never wraps, so a message stays one line."""
    from rich.console import Console

    out = Console(stderr=stderr)
    if not out.is_terminal:
        out = Console(stderr=stderr, soft_wrap=True)
    return out


def print_table(console, headers, rows, *, title=None, caption=None, right=()) -> None:
    """Print a table: with rich borders on a terminal; otherwise (a pipe or a file) as plain
    text, columns aligned by display width (a Chinese character takes two) and every cell
    whole, since rich would squeeze the table to 80 columns and cut cells to ``长 …``.

    ``right`` names the columns aligned to the right (numbers). For machine-readable output
    the commands write CSV with ``--out``.
    """
    headers = [str(h) for h in headers]
    rows = [["" if c is None else str(c) for c in row] for row in rows]
    if console.is_terminal:
        from rich.table import Table

        table = Table(title=title, caption=caption)
        for head in headers:
            table.add_column(head, justify="right" if head in right else "left")
        for row in rows:
            table.add_row(*row)
        console.print(table)
        return
    from rich.cells import cell_len

    widths = [max([cell_len(h)] + [cell_len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells):
        padded = []
        for head, cell, width in zip(headers, cells, widths):
            gap = " " * (width - cell_len(cell))
            padded.append(gap + cell if head in right else cell + gap)
        return "  ".join(padded).rstrip()

    if title:
        console.out(title, highlight=False)
    console.out(line(headers), highlight=False)
    console.out("  ".join("-" * w for w in widths), highlight=False)
    for row in rows:
        console.out(line(row), highlight=False)
    if caption:
        console.out(caption, highlight=False)

