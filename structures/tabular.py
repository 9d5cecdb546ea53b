"""Reading of tabular import files: `;`-separated CSV in UTF-8 or Windows-1252, and XLSX.

Shared by the directory and invoice imports: encoding detection, header
checks, numbered rows with progress, and the report's building blocks.
"""

import codecs
import csv
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

PROGRESS_EVERY = 10_000
ZIP_SIGNATURE = b"PK\x03\x04"
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0"
_READ_CHUNK_BYTES = 1 << 20


ProgressCallback = Callable[[str], None]


class ImportFileError(Exception):
    """A file that cannot be imported at all: unreadable, undecodable or with wrong columns."""


class RowRejected(Exception):
    """A row that the import skips. The message gives the reason."""


@dataclass
class RowIssue:
    """A warning or a rejection, located by file (and sheet) and line number."""

    source: str
    line: int
    message: str

    def __str__(self):
        return f"{self.source}, line {self.line}: {self.message}"


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    def __str__(self):
        return (
            f"{self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.rejected} rejected"
        )


def format_issues(title: str, issues: list[RowIssue], limit: int) -> list[str]:
    """Return report lines listing at most `limit` issues, then how many were left out."""
    if not issues:
        return []
    lines = [f"{title} ({len(issues)}):"]
    lines.extend(f"  {issue}" for issue in issues[:limit])
    if len(issues) > limit:
        lines.append(f"  ... and {len(issues) - limit} more, not listed")
    return lines


def cell_text(value) -> str:
    """Return a CSV field or XLSX cell as stripped text.

    Spreadsheets store identifiers and postal codes as numbers, which openpyxl
    returns as int or float: 2.174004230001e13 becomes "21740042300013".
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass
class Row:
    """One data row of a sheet, with its cells reachable by column name."""

    line: int
    cells: Sequence
    columns: dict[str, int]

    def text(self, column: str) -> str:
        index = self.columns.get(column)
        if index is None or index >= len(self.cells):
            return ""
        return cell_text(self.cells[index])


def read_signature(path: Path) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read(4)
    except OSError as error:
        raise ImportFileError(f"{path}: cannot be read ({error.strerror}).") from error


def _scan_text(path: Path, encoding: str) -> bool:
    """Return whether the whole file decodes in `encoding`. Raise ImportFileError on NUL bytes."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with open(path, "rb") as file:
        try:
            while chunk := file.read(_READ_CHUNK_BYTES):
                if b"\x00" in chunk:
                    raise ImportFileError(
                        f"{path}: contains NUL bytes, so it is not a CSV text file "
                        "(UTF-16 text is not supported). Save it as CSV UTF-8."
                    )
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def detect_encoding(path: Path) -> str:
    """Return "utf-8-sig" when the file decodes as UTF-8, else "cp1252".

    Excel saves "CSV UTF-8" with a byte order mark, which "utf-8-sig" removes,
    and "CSV (point-virgule)" on French Windows in Windows-1252. Windows-1252
    and Latin-1 agree on every printable Latin-1 character, so Latin-1 files
    read correctly too. Accented text in those encodings is almost never valid
    UTF-8, which is why UTF-8 is tried first. Raise ImportFileError when
    the bytes decode in neither (Windows-1252 leaves five byte values undefined).
    """
    for encoding in ("utf-8-sig", "cp1252"):
        if _scan_text(path, encoding):
            return encoding
    raise ImportFileError(
        f"{path}: the bytes are neither UTF-8 nor Windows-1252 (cp1252) text. "
        "Save the file as CSV UTF-8 and run the import again."
    )


def _csv_rows(reader, source: str) -> Iterator[list[str]]:
    try:
        yield from reader
    except csv.Error as error:
        raise ImportFileError(
            f"{source}, line {reader.line_num}: malformed CSV ({error})."
        ) from error


def read_csv(path: Path, stack: ExitStack) -> tuple[list[str], Iterator[list[str]]]:
    """Open a `;`-separated CSV file and return its header and an iterator over the other rows.

    The file stays open until `stack` closes.
    """
    encoding = detect_encoding(path)
    file = stack.enter_context(path.open(encoding=encoding, newline=""))
    reader = csv.reader(file, delimiter=";")
    rows = _csv_rows(reader, path.name)
    return next(rows, []), rows


def clean_header(header: Sequence) -> list[str]:
    names = [cell_text(name) for name in header]
    while names and not names[-1]:
        names.pop()
    return names


def separator_hint(names: list[str]) -> str:
    if len(names) == 1 and ("," in names[0] or "\t" in names[0]):
        return " The header looks comma- or tab-separated, but the import expects ';'."
    return ""


def check_columns(
    source: str, header: Sequence, expected: Sequence[str], optional: Sequence[str] = ()
) -> dict[str, int]:
    """Return the position of each column named in `header`.

    Columns may come in any order. Raise ImportFileError naming the missing
    and unexpected columns when the names differ from `expected`, where the
    columns in `optional` may be absent.
    """
    names = clean_header(header)
    duplicated = sorted({name for name in names if names.count(name) > 1})
    missing = [name for name in expected if name not in names and name not in optional]
    unexpected = [name or "(empty)" for name in names if name not in expected]
    if not (duplicated or missing or unexpected):
        return {name: index for index, name in enumerate(names)}
    problems = []
    if missing:
        problems.append(f"missing columns: {', '.join(missing)}")
    if unexpected:
        problems.append(f"unexpected columns: {', '.join(unexpected)}")
    if duplicated:
        problems.append(f"duplicated columns: {', '.join(duplicated)}")
    raise ImportFileError(
        f"{source}: the header does not have the expected columns ({'; '.join(problems)}). "
        f"Expected: {';'.join(expected)}.{separator_hint(names)}"
    )


def numbered_rows(
    source: str, rows: Iterator[Sequence], progress: ProgressCallback | None
) -> Iterator[tuple[int, Sequence]]:
    """Yield (line number, cells) for each non-blank row after the header (line 1)."""
    count = 0
    for line, cells in enumerate(rows, start=2):
        count += 1
        if progress and count % PROGRESS_EVERY == 0:
            progress(f"{source}: {count:,} rows read")
        if any(cell_text(cell) for cell in cells):
            yield line, cells
    if progress:
        progress(f"{source}: {count:,} rows read, done")
