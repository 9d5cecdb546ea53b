"""Import of the Chorus Pro public-structures directory ("annuaire").

Users download the directory from the Chorus Pro community site as an XLSX
workbook with a structures sheet and a services sheet, or save those sheets as
`;`-separated CSV files. `import_directory` reads either form, creates or
updates the structures and their services in one transaction, and returns a
report. Structures and services that the files do not list are left as they are.

File reading is in `structures.tabular`; `StructureIndex` and `BATCH_SIZE`
are shared with the invoice import.
"""

import logging
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from django.db import models, transaction
from openpyxl.utils.exceptions import InvalidFileException

from structures.models import IdentifierType, Service, Structure, folded_search_values
from structures.siret import is_valid_siret, normalize_siret
from structures.tabular import (
    OLE2_SIGNATURE,
    ZIP_SIGNATURE,
    ImportCounts,
    ImportFileError,
    ProgressCallback,
    Row,
    RowIssue,
    RowRejected,
    check_columns,
    clean_header,
    format_issues,
    numbered_rows,
    read_csv,
    read_signature,
    separator_hint,
)

logger = logging.getLogger(__name__)

STRUCTURE_COLUMNS = (
    "TypeIdentifiant",
    "Identifiant",
    "RaisonSociale",
    "EmetteurEdi",
    "RecepteurEdi",
    "GestionStatutMiseEnPaiement",
    "GestionEngagement",
    "GestionService",
    "GestionServiceEngagement",
    "EstMOA",
    "EstMOAUniquement",
    "StructureActive",
    "Adresse",
    "ComplementAdresse1",
    "ComplementAdresse2",
    "CodePostal",
    "Ville",
    "NumTelephone",
    "Courriel",
    "CodePays",
    "LibellePays",
)
# The "services only" web export has no idService column. The import does not store it.
SERVICE_COLUMNS = (
    "idService",
    "Identifiant",
    "RaisonSociale",
    "Code",
    "Nom",
    "GestionEGMT",
    "ServiceActif",
    "Adresse",
    "ComplementAdresse1",
    "ComplementAdresse2",
    "CodePostal",
    "Ville",
    "NumTelephone",
    "Courriel",
    "CodePays",
    "LibellePays",
)
OPTIONAL_SERVICE_COLUMNS = ("idService",)

STRUCTURES = "structures"
SERVICES = "services"

BATCH_SIZE = 2000

# Assumed meaning of the integer TypeIdentifiant codes, explained in _parse_identifier_type.
IDENTIFIER_TYPE_CODES = {
    "1": IdentifierType.SIRET,
    "2": IdentifierType.UE_HORS_FRANCE,
    "3": IdentifierType.HORS_UE,
    "4": IdentifierType.RIDET,
    "5": IdentifierType.TAHITI,
    "6": IdentifierType.AUTRE,
    "7": IdentifierType.PARTICULIER,
}
_TRUE_WORDS = {"true", "vrai", "1", "oui"}
_FALSE_WORDS = {"false", "faux", "0", "non"}
# Excel writes a long number in a "General" column as 2,17400E+13 when it saves CSV:
# the digits are lost, so such a row is rejected with advice instead of guessed.
_SCIENTIFIC_NOTATION = re.compile(r"\d+(?:[.,]\d+)?[eE][+-]?\d+")


@dataclass
class DirectoryReport:
    """Counts of one directory import per sheet, with the rows it warned about or skipped."""

    structures: ImportCounts = field(default_factory=ImportCounts)
    services: ImportCounts = field(default_factory=ImportCounts)
    warnings: list[RowIssue] = field(default_factory=list)
    rejections: list[RowIssue] = field(default_factory=list)

    def format_lines(self, limit: int = 50) -> list[str]:
        return [
            f"Structures: {self.structures}",
            f"Services: {self.services}",
            *format_issues("Warnings", self.warnings, limit),
            *format_issues("Rejected rows", self.rejections, limit),
        ]


# Reading files ---------------------------------------------------------------


@dataclass
class _Table:
    source: str
    kind: str
    columns: dict[str, int]
    read_rows: Callable[[], Iterator[Sequence]]


def _classify_header(source: str, header: Sequence) -> tuple[str, dict[str, int]]:
    """Return whether a header is the structures or the services sheet, and its columns."""
    names = set(clean_header(header))
    structure_overlap = len(names & set(STRUCTURE_COLUMNS))
    service_overlap = len(names & set(SERVICE_COLUMNS))
    if structure_overlap == service_overlap == 0:
        raise ImportFileError(
            f"{source}: the header names none of the directory columns. Expected the "
            f"structures columns ({';'.join(STRUCTURE_COLUMNS)}) or the services columns "
            f"({';'.join(SERVICE_COLUMNS)}).{separator_hint(list(names))}"
        )
    # Both sheets share the address columns, so the sheet whose own columns overlap most wins.
    if structure_overlap >= service_overlap:
        return STRUCTURES, check_columns(source, header, STRUCTURE_COLUMNS)
    return SERVICES, check_columns(source, header, SERVICE_COLUMNS, OPTIONAL_SERVICE_COLUMNS)


def _csv_table(path: Path, stack: ExitStack) -> _Table:
    header, rows = read_csv(path, stack)
    if not clean_header(header):
        raise ImportFileError(f"{path}: the first line is empty instead of the header row.")
    kind, columns = _classify_header(str(path), header)
    return _Table(path.name, kind, columns, lambda: rows)


def _workbook_tables(path: Path, stack: ExitStack) -> list[_Table]:
    """Return the non-empty sheets of an XLSX workbook, read as streams of rows."""
    # Given a file object, openpyxl does not insist on an .xlsx name.
    file = stack.enter_context(path.open("rb"))
    try:
        workbook = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as error:
        raise ImportFileError(f"{path}: not a readable XLSX workbook ({error}).") from error
    stack.callback(workbook.close)
    tables = []
    for sheet in workbook.worksheets:
        # Some generators write a wrong sheet size, which would cut read-only reading short.
        sheet.reset_dimensions()
        header = next(sheet.iter_rows(max_row=1, values_only=True), None)
        if header is None or not clean_header(header):
            continue
        kind, columns = _classify_header(f"{path}, sheet {sheet.title}", header)
        tables.append(
            _Table(
                f"{path.name}, sheet {sheet.title}",
                kind,
                columns,
                lambda sheet=sheet: sheet.iter_rows(min_row=2, values_only=True),
            )
        )
    if not tables:
        raise ImportFileError(f"{path}: the workbook has no sheet with a header row.")
    return tables


def _open_tables(path: Path, stack: ExitStack) -> list[_Table]:
    """Return the sheets of a workbook or the one table of a CSV file, headers checked.

    The first bytes of the file decide the format, not its name.
    """
    signature = read_signature(path)
    if signature.startswith(ZIP_SIGNATURE):
        return _workbook_tables(path, stack)
    if signature.startswith(OLE2_SIGNATURE):
        raise ImportFileError(
            f"{path}: an Excel 97-2003 (.xls) workbook, which the import does not read. "
            "Save it as .xlsx or as CSV files."
        )
    return [_csv_table(path, stack)]


# Parsing rows ----------------------------------------------------------------


def _parse_identifier_type(text: str) -> str:
    """Return the IdentifierType of a TypeIdentifiant cell: an integer code or a type name.

    NOTE: the meaning of the integer codes is an assumption, not taken from a
    Chorus Pro document. IDENTIFIER_TYPE_CODES numbers the types in the order
    of IdentifierType: 1 SIRET, 2 UE_HORS_FRANCE, 3 HORS_UE, 4 RIDET,
    5 TAHITI, 6 AUTRE, 7 PARTICULIER. The names themselves are also accepted,
    in any case.
    """
    if text in IDENTIFIER_TYPE_CODES:
        return IDENTIFIER_TYPE_CODES[text]
    if text.upper() in IdentifierType.values:
        return IdentifierType(text.upper())
    if not text:
        raise RowRejected("TypeIdentifiant is empty")
    raise RowRejected(
        f"unknown TypeIdentifiant {text!r}: expected a code from 1 to 7 or a type name "
        f"({', '.join(IdentifierType.values)})"
    )


def _parse_siret(text: str, warnings: list[str]) -> str:
    """Return the 14-digit SIRET of an Identifiant cell, restoring dropped leading zeros.

    A spreadsheet that stores the identifier as a number drops its leading
    zeros. Real SIRENs start with at most two zeros, so 12 or 13 digits are
    padded back to 14 with a warning, and shorter numbers are rejected.
    A SIRET that fails the checksum is a real structure of the directory,
    so it is kept with a warning.
    """
    if _SCIENTIFIC_NOTATION.fullmatch(text):
        raise RowRejected(
            f"Identifiant {text} is in scientific notation, so the spreadsheet rounded it. "
            "Format the column as text in the original workbook and save the CSV again"
        )
    number = normalize_siret(text)
    if not number.isdigit():
        raise RowRejected(f"SIRET {text!r} contains characters other than digits")
    if len(number) in (12, 13):
        restored = number.zfill(14)
        zeros = "zero" if len(number) == 13 else "zeros"
        warnings.append(
            f"SIRET {number} has {len(number)} digits: restored the leading {zeros} "
            f"that a spreadsheet dropped, as {restored}"
        )
        number = restored
    elif len(number) != 14:
        raise RowRejected(f"SIRET {number} has {len(number)} digits instead of 14")
    if not is_valid_siret(number):
        warnings.append(f"SIRET {number} fails the checksum, imported as it is")
    return number


def _parse_identifier(identifier_type: str, text: str, warnings: list[str]) -> str:
    if not text:
        raise RowRejected("Identifiant is empty")
    if identifier_type == IdentifierType.SIRET:
        return _parse_siret(text, warnings)
    max_length = Structure._meta.get_field("identifier").max_length
    if len(text) > max_length:
        raise RowRejected(f"Identifiant {text!r} is longer than {max_length} characters")
    return text


def _parse_boolean(row: Row, column: str) -> bool:
    """Return a boolean cell: True/False, VRAI/FAUX, 1/0 or oui/non, in any case."""
    text = row.text(column).lower()
    if text in _TRUE_WORDS:
        return True
    if text in _FALSE_WORDS:
        return False
    found = repr(row.text(column)) if text else "empty"
    raise RowRejected(f"{column} is {found}, expected True or False (or VRAI/FAUX, 1/0, oui/non)")


def _parse_country_code(text: str, identifier_type: str) -> str:
    """Return an ISO 3166 two-letter code. An empty cell means France for a SIRET."""
    code = text.upper()
    if not code:
        return "FR" if identifier_type == IdentifierType.SIRET else ""
    if len(code) != 2 or not code.isalpha():
        raise RowRejected(f"CodePays {text!r} is not a two-letter country code")
    return code


def _parse_postal_code(text: str, country_code: str) -> str:
    """Return the postal code, with the leading zero a spreadsheet drops from 01000 restored."""
    if country_code == "FR" and text.isdigit() and len(text) < 5:
        return text.zfill(5)
    return text


def _required_text(row: Row, column: str) -> str:
    text = row.text(column)
    if not text:
        raise RowRejected(f"{column} is empty")
    return text


def _fit_lengths(model: type[models.Model], values: dict, warnings: list[str]) -> None:
    """Truncate the text values longer than their model field allows, with a warning."""
    for name, value in values.items():
        if not isinstance(value, str):
            continue
        max_length = model._meta.get_field(name).max_length
        if len(value) > max_length:
            values[name] = value[:max_length]
            warnings.append(f"{name} truncated to {max_length} characters")


def _join_text(*parts: str) -> str:
    return ", ".join(part for part in parts if part)


@dataclass
class _ParsedRow:
    key: tuple
    values: dict
    label: str


def _parse_structure(row: Row, warnings: list[str]) -> _ParsedRow:
    identifier_type = _parse_identifier_type(row.text("TypeIdentifiant"))
    identifier = _parse_identifier(identifier_type, row.text("Identifiant"), warnings)
    country_code = _parse_country_code(row.text("CodePays"), identifier_type)
    values = {
        "designation": _required_text(row, "RaisonSociale"),
        "is_public": True,
        "manages_services": _parse_boolean(row, "GestionService"),
        "address": row.text("Adresse"),
        "address_complement": _join_text(
            row.text("ComplementAdresse1"), row.text("ComplementAdresse2")
        ),
        "postal_code": _parse_postal_code(row.text("CodePostal"), country_code),
        "city": row.text("Ville"),
        "country_code": country_code,
        "is_active": _parse_boolean(row, "StructureActive"),
    }
    _fit_lengths(Structure, values, warnings)
    values.update(folded_search_values(values["designation"], values["city"]))
    return _ParsedRow((identifier_type, identifier), values, f"{identifier_type} {identifier}")


class StructureIndex:
    """Ids of the stored structures by identifier, for rows that give an identifier without a type.

    Service rows and invoice rows name a structure by its identifier only.
    When several types share an identifier, the SIRET wins, and otherwise the
    structure created first.
    """

    def __init__(self):
        self._ids: dict[str, int] = {}
        rows = Structure.objects.order_by("pk").values_list("identifier", "identifier_type", "pk")
        for identifier, identifier_type, pk in rows.iterator(chunk_size=BATCH_SIZE):
            if identifier_type == IdentifierType.SIRET or identifier not in self._ids:
                self._ids[identifier] = pk

    def find(self, text: str) -> int | None:
        """Return the id of the structure `text` identifies, also without dropped zeros."""
        number = normalize_siret(text)
        candidates = [text, number]
        if number.isdigit() and len(number) in (12, 13):
            candidates.append(number.zfill(14))
        for candidate in candidates:
            if candidate in self._ids:
                return self._ids[candidate]
        return None


def _parse_service(row: Row, warnings: list[str], *, parents: StructureIndex) -> _ParsedRow:
    parent = _required_text(row, "Identifiant")
    structure_id = parents.find(parent)
    if structure_id is None:
        raise RowRejected(
            f"parent structure {parent} not found in the structures sheet or the database"
        )
    code = _required_text(row, "Code")
    max_length = Service._meta.get_field("code").max_length
    if len(code) > max_length:
        raise RowRejected(f"service code {code!r} is longer than {max_length} characters")
    values = {"label": row.text("Nom"), "is_active": _parse_boolean(row, "ServiceActif")}
    _fit_lengths(Service, values, warnings)
    return _ParsedRow((structure_id, code), values, f"service {code} of structure {parent}")


# Writing rows ----------------------------------------------------------------


class _Upserter:
    """Create and update rows of one model in batches, skipping the rows already up to date.

    The stored rows are loaded once into a dict keyed like the file's rows,
    so the import makes no query per row.
    """

    def __init__(self, model, key_fields: tuple[str, ...], value_fields: tuple[str, ...], counts):
        self.model = model
        self.key_fields = key_fields
        self.value_fields = value_fields
        self.counts = counts
        self.to_create = []
        self.to_update = []
        stored = model.objects.values_list(*key_fields, *value_fields)
        width = len(key_fields)
        self.stored = {row[:width]: row[width:] for row in stored.iterator(chunk_size=BATCH_SIZE)}

    def save(self, key: tuple, values: dict) -> None:
        stored = self.stored.get(key)
        if stored == tuple(values[name] for name in self.value_fields):
            self.counts.unchanged += 1
            return
        row = self.model(**dict(zip(self.key_fields, key, strict=True)), **values)
        if stored is None:
            self.to_create.append(row)
            self.counts.created += 1
        else:
            self.to_update.append(row)
            self.counts.updated += 1
        if len(self.to_create) >= BATCH_SIZE or len(self.to_update) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        self.model.objects.bulk_create(self.to_create, batch_size=BATCH_SIZE)
        # Changed rows are written as INSERT ... ON CONFLICT DO UPDATE on their key, because
        # bulk_update builds CASE WHEN expressions that cost milliseconds of Python per row.
        # Measured with PostgreSQL 15 on a 2-core development machine: 20,000 changed
        # structures took 59 s with bulk_update and 150,000 take 24 s this way.
        # On PostgreSQL each such row also consumes one value of the id sequence.
        self.model.objects.bulk_create(
            self.to_update,
            batch_size=BATCH_SIZE,
            update_conflicts=True,
            unique_fields=self.key_fields,
            update_fields=self.value_fields,
        )
        self.to_create = []
        self.to_update = []


def _import_tables(tables, parse, upserter, report, progress) -> None:
    """Parse every row of `tables` and save the accepted ones through `upserter`."""
    first_lines = {}
    for table in tables:
        for line, cells in numbered_rows(table.source, table.read_rows(), progress):
            warnings = []
            try:
                parsed = parse(Row(line, cells, table.columns), warnings)
                if parsed.key in first_lines:
                    raise RowRejected(
                        f"duplicate of {first_lines[parsed.key]} ({parsed.label}), "
                        "which was imported instead"
                    )
            except RowRejected as rejection:
                report.rejections.append(RowIssue(table.source, line, str(rejection)))
                upserter.counts.rejected += 1
                continue
            first_lines[parsed.key] = f"{table.source}, line {line}"
            report.warnings.extend(RowIssue(table.source, line, text) for text in warnings)
            upserter.save(parsed.key, parsed.values)
    upserter.flush()


def _import_structures(tables, report, progress) -> None:
    upserter = _Upserter(
        Structure,
        ("identifier_type", "identifier"),
        (
            "designation",
            "is_public",
            "manages_services",
            "address",
            "address_complement",
            "postal_code",
            "city",
            "country_code",
            "is_active",
        ),
        report.structures,
    )
    _import_tables(tables, _parse_structure, upserter, report, progress)


def _import_services(tables, report, progress) -> None:
    parents = StructureIndex()

    def parse(row, warnings):
        return _parse_service(row, warnings, parents=parents)

    upserter = _Upserter(Service, ("structure_id", "code"), ("label", "is_active"), report.services)
    _import_tables(tables, parse, upserter, report, progress)


def import_directory(
    paths: Sequence[str | Path],
    *,
    progress: ProgressCallback | None = None,
    dry_run: bool = False,
) -> DirectoryReport:
    """Create or update the structures and services that directory files list.

    `paths` are XLSX workbooks or CSV files, in any order: each sheet or file
    is recognised by its header, and structures are imported before services.
    Every header is checked before the first write. The whole import runs in
    one transaction, rolled back at the end when `dry_run` is true. Raise
    ImportFileError, with the database unchanged, when a file cannot be read.
    `progress`, when given, receives a line of text every `tabular.PROGRESS_EVERY` rows.
    """
    paths = [Path(path) for path in paths]
    logger.info("Directory import started: %s", ", ".join(map(str, paths)))
    report = DirectoryReport()
    with ExitStack() as stack:
        tables = [table for path in paths for table in _open_tables(path, stack)]
        with transaction.atomic():
            _import_structures([t for t in tables if t.kind == STRUCTURES], report, progress)
            _import_services([t for t in tables if t.kind == SERVICES], report, progress)
            if dry_run:
                transaction.set_rollback(True)
    logger.info(
        "Directory import finished%s: structures %s; services %s; %s warnings",
        " (dry run, rolled back)" if dry_run else "",
        report.structures,
        report.services,
        len(report.warnings),
    )
    return report
