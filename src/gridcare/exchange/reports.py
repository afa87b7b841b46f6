"""Import reports as a text table (for the terminal) and as CSV (``--report``)."""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable, Sequence
from typing import IO

from gridcare.exchange.operations import ProblemSink, RowProblem
from gridcare.kit.spreadsheet import guard_formula

#: The columns of a report: the row as the user sees it in the file, the column name, the
#: cell's text, and the reason in zh-Hans and English.
REPORT_HEADER = ("row", "column", "value", "reason_zh", "reason_en")


def report_row(problem: RowProblem) -> list[str]:
    return [str(problem.row), problem.column, problem.value, problem.message_zh, problem.message_en]


def csv_report_writer(stream: IO[str]) -> ProblemSink:
    """Write the report header to ``stream`` and return a sink writing each problem as a line,
    its text cells guarded against formulas (the row number is a number)."""
    writer = csv.writer(stream)
    writer.writerow(REPORT_HEADER)

    def write(problem: RowProblem) -> None:
        row, *texts = report_row(problem)
        writer.writerow([row, *(guard_formula(text) for text in texts)])

    return write


def format_table(problems: Iterable[RowProblem]) -> str:
    """The problems as an aligned text table (CJK characters count two columns wide)."""
    rows: list[Sequence[str]] = [REPORT_HEADER, *(report_row(problem) for problem in problems)]
    widths = [max(_display_width(row[index]) for row in rows) for index in range(len(REPORT_HEADER))]
    lines = []
    for number, row in enumerate(rows):
        cells = [cell + " " * (width - _display_width(cell)) for cell, width in zip(row, widths, strict=True)]
        lines.append(" | ".join(cells).rstrip())
        if number == 0:
            lines.append("-+-".join("-" * width for width in widths))
    return "\n".join(lines)


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(character) in "WF" else 1 for character in text)
