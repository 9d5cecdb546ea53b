"""Import of invoices from a `;`-separated CSV file, for the invoice relationship.

The header is supplier_identifier;client_identifier;supplier_service_code;
client_service_code;number;date. The two service columns may be left out
or empty. Dates are DD/MM/YYYY or YYYY-MM-DD. Structures and services must
already exist: the import only links them.
"""

import datetime
import logging
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from structures.directory import BATCH_SIZE, StructureIndex
from structures.models import Invoice, Service
from structures.partners import rebuild_partners
from structures.tabular import (
    ProgressCallback,
    Row,
    RowIssue,
    RowRejected,
    check_columns,
    format_issues,
    numbered_rows,
    read_csv,
)

logger = logging.getLogger(__name__)

INVOICE_COLUMNS = (
    "supplier_identifier",
    "client_identifier",
    "supplier_service_code",
    "client_service_code",
    "number",
    "date",
)
OPTIONAL_INVOICE_COLUMNS = ("supplier_service_code", "client_service_code")
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")


@dataclass
class InvoiceReport:
    """Counts of one invoice import, with the rows it warned about or skipped.

    `partners` is the size of the rebuilt partner relation, or None when no
    invoice was created and the relation was left as it was.
    """

    created: int = 0
    unchanged: int = 0
    rejected: int = 0
    partners: int | None = None
    warnings: list[RowIssue] = field(default_factory=list)
    rejections: list[RowIssue] = field(default_factory=list)

    def format_lines(self, limit: int = 50) -> list[str]:
        lines = [
            f"Invoices: {self.created} created, {self.unchanged} unchanged, "
            f"{self.rejected} rejected"
        ]
        if self.partners is not None:
            lines.append(f"Partner relation rebuilt: {self.partners} rows")
        lines += format_issues("Warnings", self.warnings, limit)
        lines += format_issues("Rejected rows", self.rejections, limit)
        return lines


def _parse_date(text: str) -> datetime.date:
    for date_format in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, date_format).date()
        except ValueError:
            continue
    if not text:
        raise RowRejected("date is empty")
    raise RowRejected(f"date {text!r} is invalid, expected DD/MM/YYYY or YYYY-MM-DD")


class _InvoiceParser:
    """Turn CSV rows into unsaved invoices, resolving identifiers and service codes."""

    def __init__(self):
        self.structures = StructureIndex()
        services = Service.objects.values_list("structure_id", "code", "pk")
        self.services = {
            (structure_id, code): pk
            for structure_id, code, pk in services.iterator(chunk_size=BATCH_SIZE)
        }
        self.max_number_length = Invoice._meta.get_field("number").max_length

    def parse(self, row: Row) -> Invoice:
        supplier_id = self._structure_id(row, "supplier_identifier")
        client_id = self._structure_id(row, "client_identifier")
        if supplier_id == client_id:
            raise RowRejected(
                f"supplier and client are the same structure ({row.text('client_identifier')})"
            )
        return Invoice(
            supplier_id=supplier_id,
            supplier_service_id=self._service_id(row, "supplier", supplier_id),
            client_id=client_id,
            client_service_id=self._service_id(row, "client", client_id),
            number=self._number(row),
            issued_on=_parse_date(row.text("date")),
        )

    def _structure_id(self, row: Row, column: str) -> int:
        identifier = row.text(column)
        if not identifier:
            raise RowRejected(f"{column} is empty")
        structure_id = self.structures.find(identifier)
        if structure_id is None:
            raise RowRejected(f"{column} {identifier}: no structure has this identifier")
        return structure_id

    def _service_id(self, row: Row, role: str, structure_id: int) -> int | None:
        code = row.text(f"{role}_service_code")
        if not code:
            return None
        service_id = self.services.get((structure_id, code))
        if service_id is None:
            raise RowRejected(
                f"{role}_service_code {code}: the {role} "
                f"{row.text(f'{role}_identifier')} has no service with this code"
            )
        return service_id

    def _number(self, row: Row) -> str:
        number = row.text("number")
        if not number:
            raise RowRejected("number is empty")
        if len(number) > self.max_number_length:
            raise RowRejected(
                f"number {number!r} is longer than {self.max_number_length} characters"
            )
        return number


def _stored_invoices(batch: list[tuple[int, Invoice]]) -> dict[tuple, tuple]:
    """Return the stored invoices among a batch's (supplier, number) pairs, in one query."""
    suppliers = {invoice.supplier_id for _, invoice in batch}
    numbers = {invoice.number for _, invoice in batch}
    stored = Invoice.objects.filter(supplier_id__in=suppliers, number__in=numbers)
    rows = stored.values_list(
        "supplier_id",
        "number",
        "client_id",
        "supplier_service_id",
        "client_service_id",
        "issued_on",
    )
    return {(row[0], row[1]): row[2:] for row in rows}


def _content(invoice: Invoice) -> tuple:
    return (
        invoice.client_id,
        invoice.supplier_service_id,
        invoice.client_service_id,
        invoice.issued_on,
    )


def _save_batch(batch: list[tuple[int, Invoice]], source: str, report: InvoiceReport) -> None:
    """Create the invoices of a batch that are not stored yet, and count the others unchanged."""
    stored = _stored_invoices(batch)
    new_invoices = []
    for line, invoice in batch:
        content = stored.get((invoice.supplier_id, invoice.number))
        if content is None:
            new_invoices.append(invoice)
        elif content != _content(invoice):
            report.warnings.append(
                RowIssue(
                    source,
                    line,
                    f"invoice {invoice.number} is already stored with another client, "
                    "service or date. The stored invoice was kept",
                )
            )
    Invoice.objects.bulk_create(new_invoices, batch_size=BATCH_SIZE)
    report.created += len(new_invoices)
    report.unchanged += len(batch) - len(new_invoices)


def _import_rows(source, columns, rows, report, progress) -> None:
    parser = _InvoiceParser()
    first_lines = {}
    batch = []
    for line, cells in numbered_rows(source, rows, progress):
        try:
            invoice = parser.parse(Row(line, cells, columns))
            key = (invoice.supplier_id, invoice.number)
            if key in first_lines:
                raise RowRejected(
                    f"duplicate of line {first_lines[key]} (same supplier and number "
                    f"{invoice.number}), which was imported instead"
                )
        except RowRejected as rejection:
            report.rejections.append(RowIssue(source, line, str(rejection)))
            report.rejected += 1
            continue
        first_lines[key] = line
        batch.append((line, invoice))
        if len(batch) >= BATCH_SIZE:
            _save_batch(batch, source, report)
            batch = []
    _save_batch(batch, source, report)


def import_invoices(
    path: str | Path, *, progress: ProgressCallback | None = None, dry_run: bool = False
) -> InvoiceReport:
    """Create the invoices of a CSV file that are not stored yet, then rebuild the partners.

    An invoice is identified by its supplier and number: one already stored
    is counted unchanged and never modified. Invoices are inserted with
    bulk_create, which skips Invoice.save() and the partner rows it records,
    so the partner relation is rebuilt once at the end when invoices were
    created. The import runs in one transaction, rolled back at the end when
    `dry_run` is true. Raise ImportFileError when the file cannot be read or
    its header lacks a required column; the database is then unchanged.
    """
    path = Path(path)
    logger.info("Invoice import started: %s", path)
    report = InvoiceReport()
    with ExitStack() as stack:
        header, rows = read_csv(path, stack)
        columns = check_columns(str(path), header, INVOICE_COLUMNS, OPTIONAL_INVOICE_COLUMNS)
        with transaction.atomic():
            _import_rows(path.name, columns, rows, report, progress)
            if report.created:
                report.partners = rebuild_partners()
            if dry_run:
                transaction.set_rollback(True)
    logger.info(
        "Invoice import finished%s: %s created, %s unchanged, %s rejected, %s warnings",
        " (dry run, rolled back)" if dry_run else "",
        report.created,
        report.unchanged,
        report.rejected,
        len(report.warnings),
    )
    return report
