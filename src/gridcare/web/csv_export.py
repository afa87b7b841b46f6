"""Streaming CSV downloads that Excel opens correctly and cannot be tricked by.

The file is UTF-8 with a byte-order mark (so Excel reads Chinese text right), and a text cell
starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (possibly after apostrophes)
is prefixed with ``'`` so a spreadsheet shows it as text instead of running it as a formula,
unless it is a plain number: the rule of :mod:`gridcare.kit.spreadsheet`, shared with imports
and exports.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse

from gridcare.kit.spreadsheet import guard_formula

_BYTE_ORDER_MARK = "\ufeff"

Cell = str | int | None


class _Echo:
    """A file-like object whose ``write`` hands back the line ``csv.writer`` wrote."""

    def write(self, value: str) -> str:
        return value


def csv_lines(*, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[str]:
    """The CSV text line by line: the byte-order mark and header, then each row, text guarded."""
    writer = csv.writer(_Echo())
    yield _BYTE_ORDER_MARK + writer.writerow([guard_formula(title) for title in header])
    for row in rows:
        yield writer.writerow([guard_formula(cell) if isinstance(cell, str) else cell for cell in row])


def streaming_csv_response(
    *, file_name: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> StreamingHttpResponse:
    """A download of ``rows`` under ``header`` as ``file_name``, written while it is sent."""
    return StreamingHttpResponse(
        (line.encode("utf-8") for line in csv_lines(header=header, rows=rows)),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
    )
