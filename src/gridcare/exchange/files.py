"""Reading and writing exchange files, streamed: CSV and XLSX as rows of text cells.

The format comes from the file name's extension. CSV files are read as UTF-8, with or without
the byte-order mark Excel writes, and, when the bytes are not valid UTF-8, as GB18030 (the
national standard superset of GBK/GB2312 that older Chinese Excel and WPS versions save); they
are written as UTF-8 with a byte-order mark so Excel shows the Chinese text. XLSX files are
read with ``openpyxl``'s read-only mode and written with its write-only mode. Neither reading
nor writing holds the whole file in memory.

A spreadsheet program runs a CSV cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula (CSV injection). CSV text cells are therefore written through
:func:`guard_formula`, which prefixes such a cell with an apostrophe as OWASP advises, and read
through :func:`unguard_formula`, which takes it off again. Numbers are left alone: a
negative number is no formula, and the import must read it as written.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from pathlib import PurePath
from typing import IO, Any

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils.exceptions import InvalidFileException

from gridcare.exchange.errors import FileTypeUnsupported, FileUnreadable

_SNIFF_BLOCK = 1 << 20
#: The first characters that make a spreadsheet program read a CSV cell as a formula.


class FileFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


def file_format_of(file_name: str) -> FileFormat:
    """The format named by ``file_name``'s extension, or :class:`FileTypeUnsupported`."""
    extension = PurePath(file_name).suffix.lower().lstrip(".")
    try:
        return FileFormat(extension)
    except ValueError:
        raise FileTypeUnsupported(file_name=file_name) from None


def read_rows(*, stream: IO[bytes], file_name: str) -> Iterator[list[str]]:
    """The rows of the file as lists of cell text, the header row first, trailing empty cells
    dropped. ``stream`` must be seekable (CSV is scanned once for its encoding).

    Raises :class:`FileUnreadable` when the file is not what its extension says.
    """
    file_format = file_format_of(file_name)
    if file_format is FileFormat.CSV:
        return _read_csv(stream=stream, file_name=file_name)
    return _read_xlsx(stream=stream, file_name=file_name)


def csv_encoding(stream: IO[bytes]) -> str:
    """``utf-8-sig`` when the whole stream decodes as UTF-8 (a BOM is dropped), else ``gb18030``.

    Scans the stream block by block and rewinds it.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while block := stream.read(_SNIFF_BLOCK):
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "gb18030"
    finally:
        stream.seek(0)
    return "utf-8-sig"


def _read_csv(*, stream: IO[bytes], file_name: str) -> Iterator[list[str]]:
    encoding = csv_encoding(stream)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        for row in csv.reader(text):
            yield _without_trailing_blanks(row)
    except (csv.Error, UnicodeDecodeError) as error:
        raise FileUnreadable(file_name=file_name, reason=str(error)) from error
    finally:
        # Leave the caller's stream open: it owns it.
        text.detach()


def _read_xlsx(*, stream: IO[bytes], file_name: str) -> Iterator[list[str]]:
    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as error:
        raise FileUnreadable(file_name=file_name, reason=str(error) or type(error).__name__) from error
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield _without_trailing_blanks([xlsx_cell_text(value) for value in values])
    finally:
        workbook.close()


def xlsx_cell_text(value: Any) -> str:
    """A spreadsheet cell's value as the text a CSV would hold: numbers in plain notation
    (a float's shortest exact form, whole numbers without ``.0``), dates in ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _without_trailing_blanks(row: list[str]) -> list[str]:
    end = len(row)
    while end and not row[end - 1].strip():
        end -= 1
    return row[:end]


def write_rows(*, stream: IO[bytes], file_format: FileFormat, rows: Iterable[list[str]]) -> int:
    """Write ``rows`` (the header row first) to ``stream``; return how many data rows were written."""
    if file_format is FileFormat.CSV:
        return _write_csv(stream=stream, rows=rows)
    return _write_xlsx(stream=stream, rows=rows)


def _write_csv(*, stream: IO[bytes], rows: Iterable[list[str]]) -> int:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    count = -1
    for count, row in enumerate(rows):  # noqa: B007 - the last index is the data row count
        writer.writerow(row)
    text.flush()
    text.detach()
    return max(count, 0)


def _write_xlsx(*, stream: IO[bytes], rows: Iterable[list[str]]) -> int:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    count = -1
    for count, row in enumerate(rows):  # noqa: B007 - the last index is the data row count
        sheet.append([_text_cell(sheet, value) for value in row])
    workbook.save(stream)
    return max(count, 0)


def _text_cell(sheet: Any, value: str) -> WriteOnlyCell:
    # Every value is written as text: openpyxl would store "=..." as a formula, and numbers
    # as binary floats; text comes back exactly as it was written.
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell
