"""The invoice import: created, unchanged and rejected rows, and the partner relation."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from structures import tabular
from structures.directory import ImportFileError, import_directory
from structures.invoice_import import INVOICE_COLUMNS, import_invoices
from structures.models import Invoice, Partner, PartnerKind, Structure
from tests.factories import PublicStructureFactory, ServiceFactory, StructureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def parties():
    """A supplier with a service, and two public clients, the first with a service."""
    supplier = StructureFactory()
    client = PublicStructureFactory()
    return {
        "supplier": supplier,
        "supplier_service": ServiceFactory(structure=supplier, code="SERVICE_DEFAULT"),
        "client": client,
        "client_service": ServiceFactory(structure=client, code="STECH"),
        "other_client": PublicStructureFactory(),
    }


def invoice_row(supplier, client, number, date="15/01/2026", supplier_code="", client_code=""):
    return [supplier.identifier, client.identifier, supplier_code, client_code, number, date]


def partner_rows() -> set[tuple]:
    return set(
        Partner.objects.values_list("structure_id", "kind", "partner_id", "partner_service_id")
    )


def messages_by_line(issues) -> dict[int, str]:
    return {issue.line: issue.message for issue in issues}


def test_invoice_import_creates_invoices(parties, write_csv):
    supplier, client = parties["supplier"], parties["client"]
    rows = [
        invoice_row(supplier, client, "F-1", "15/01/2026", "SERVICE_DEFAULT", "STECH"),
        invoice_row(supplier, parties["other_client"], "F-2", "2026-02-03"),
    ]

    report = import_invoices(write_csv("invoices.csv", INVOICE_COLUMNS, rows))

    assert (report.created, report.unchanged, report.rejected) == (2, 0, 0)
    first = Invoice.objects.get(number="F-1")
    assert first.supplier == supplier
    assert first.client == client
    assert first.supplier_service == parties["supplier_service"]
    assert first.client_service == parties["client_service"]
    assert first.issued_on == datetime.date(2026, 1, 15)
    assert Invoice.objects.get(number="F-2").issued_on == datetime.date(2026, 2, 3)


def test_invoice_import_creates_partners_both_directions(parties, write_csv):
    supplier, client, other = parties["supplier"], parties["client"], parties["other_client"]
    rows = [
        invoice_row(supplier, client, "F-1", supplier_code="SERVICE_DEFAULT", client_code="STECH"),
        invoice_row(supplier, other, "F-2"),
    ]

    report = import_invoices(write_csv("invoices.csv", INVOICE_COLUMNS, rows))

    customers, suppliers = PartnerKind.CUSTOMERS, PartnerKind.SUPPLIERS
    assert partner_rows() == {
        (supplier.pk, customers, client.pk, None),
        (supplier.pk, customers, client.pk, parties["client_service"].pk),
        (client.pk, suppliers, supplier.pk, None),
        (client.pk, suppliers, supplier.pk, parties["supplier_service"].pk),
        (supplier.pk, customers, other.pk, None),
        (other.pk, suppliers, supplier.pk, None),
    }
    assert report.partners == 6
    assert set(Structure.objects.partners_of(supplier, PartnerKind.CUSTOMERS)) == {client, other}
    assert list(Structure.objects.partners_of(client, PartnerKind.SUPPLIERS)) == [supplier]


def test_reimport_counts_unchanged(parties, write_csv):
    rows = [
        invoice_row(parties["supplier"], parties["client"], "F-1"),
        invoice_row(parties["supplier"], parties["other_client"], "F-2"),
    ]
    path = write_csv("invoices.csv", INVOICE_COLUMNS, rows)
    import_invoices(path)

    report = import_invoices(path)

    assert (report.created, report.unchanged, report.rejected) == (0, 2, 0)
    assert report.partners is None
    assert report.warnings == []
    assert Invoice.objects.count() == 2


def test_conflicting_invoice_kept_with_warning(parties, write_csv):
    supplier, client = parties["supplier"], parties["client"]
    import_invoices(write_csv("first.csv", INVOICE_COLUMNS, [invoice_row(supplier, client, "F-1")]))
    changed = [invoice_row(supplier, client, "F-1", "20/01/2026")]

    report = import_invoices(write_csv("second.csv", INVOICE_COLUMNS, changed))

    assert report.unchanged == 1
    assert "already stored with another client, service or date" in report.warnings[0].message
    assert Invoice.objects.get().issued_on == datetime.date(2026, 1, 15)


def test_rejected_rows_name_line_and_reason(parties, write_csv):
    supplier, client = parties["supplier"], parties["client"]
    unknown = StructureFactory.build()
    rows = [
        invoice_row(supplier, client, "F-1"),
        invoice_row(unknown, client, "F-2"),
        invoice_row(supplier, unknown, "F-3"),
        invoice_row(supplier, client, "F-4", client_code="ECOLES"),
        invoice_row(supplier, client, "F-5", supplier_code="STECH"),
        invoice_row(supplier, client, "F-6", "31/02/2026"),
        invoice_row(supplier, client, "F-7", "2026/01/15"),
        invoice_row(supplier, supplier, "F-8"),
        invoice_row(supplier, client, ""),
        invoice_row(supplier, parties["other_client"], "F-1"),
        ["", client.identifier, "", "", "F-9", "15/01/2026"],
        invoice_row(supplier, client, "F-10", ""),
    ]

    report = import_invoices(write_csv("invoices.csv", INVOICE_COLUMNS, rows))

    rejected = messages_by_line(report.rejections)
    assert sorted(rejected) == list(range(3, 14))
    assert f"supplier_identifier {unknown.identifier}: no structure" in rejected[3]
    assert f"client_identifier {unknown.identifier}: no structure" in rejected[4]
    assert "client_service_code ECOLES" in rejected[5]
    assert "supplier_service_code STECH" in rejected[6]
    assert "'31/02/2026'" in rejected[7]
    assert "'2026/01/15'" in rejected[8]
    assert "supplier and client are the same structure" in rejected[9]
    assert "number is empty" in rejected[10]
    assert "duplicate of line 2" in rejected[11]
    assert "supplier_identifier is empty" in rejected[12]
    assert "date is empty" in rejected[13]
    assert (report.created, report.rejected) == (1, 11)
    assert list(Invoice.objects.values_list("number", flat=True)) == ["F-1"]


def test_identifier_with_spaces_and_dropped_zero(write_csv):
    supplier = StructureFactory(identifier="01000001600013")
    client = PublicStructureFactory()
    rows = [
        [
            "1000001600013",
            client.identifier[:3] + " " + client.identifier[3:],
            "",
            "",
            "F-1",
            "15/01/2026",
        ]
    ]

    report = import_invoices(write_csv("invoices.csv", INVOICE_COLUMNS, rows))

    assert report.created == 1
    assert Invoice.objects.get().supplier == supplier


def test_service_columns_may_be_absent(parties, write_csv):
    header = ["supplier_identifier", "client_identifier", "number", "date"]
    supplier, client = parties["supplier"], parties["client"]
    rows = [[supplier.identifier, client.identifier, "F-1", "15/01/2026"]]

    report = import_invoices(write_csv("invoices.csv", header, rows))

    assert report.created == 1


def test_missing_column_aborts_and_changes_nothing(parties, write_csv):
    supplier, client = parties["supplier"], parties["client"]
    import_invoices(write_csv("first.csv", INVOICE_COLUMNS, [invoice_row(supplier, client, "F-1")]))
    header = INVOICE_COLUMNS[:-1]
    path = write_csv("bad.csv", header, [invoice_row(supplier, client, "F-2")[:-1]])

    with pytest.raises(ImportFileError) as error:
        import_invoices(path)

    assert "bad.csv" in str(error.value)
    assert "missing columns: date" in str(error.value)
    assert Invoice.objects.count() == 1
    assert Partner.objects.count() == 2


def test_undecodable_file_aborts(tmp_path):
    path = tmp_path / "invoices.csv"
    path.write_bytes(";".join(INVOICE_COLUMNS).encode() + b"\n\x81;\x8d;;;F;01/01/2026\n")

    with pytest.raises(ImportFileError, match="neither UTF-8 nor Windows-1252"):
        import_invoices(path)


def test_cp1252_invoice_numbers(parties, write_csv):
    rows = [invoice_row(parties["supplier"], parties["client"], "FACTURE-N°1-ÉTÉ")]

    import_invoices(write_csv("invoices.csv", INVOICE_COLUMNS, rows, encoding="cp1252"))

    assert Invoice.objects.get().number == "FACTURE-N°1-ÉTÉ"


def test_batches_across_the_batch_size(parties, write_csv, monkeypatch):
    monkeypatch.setattr("structures.invoice_import.BATCH_SIZE", 2)
    supplier, client = parties["supplier"], parties["client"]
    rows = [invoice_row(supplier, client, f"F-{n}") for n in range(5)]
    path = write_csv("invoices.csv", INVOICE_COLUMNS, rows)
    import_invoices(write_csv("one.csv", INVOICE_COLUMNS, rows[2:3]))

    report = import_invoices(path)

    assert (report.created, report.unchanged) == (4, 1)
    assert Invoice.objects.count() == 5


def test_dry_run_changes_nothing(parties, write_csv):
    rows = [invoice_row(parties["supplier"], parties["client"], "F-1")]

    report = import_invoices(write_csv("invoices.csv", INVOICE_COLUMNS, rows), dry_run=True)

    assert report.created == 1
    assert Invoice.objects.count() == 0
    assert Partner.objects.count() == 0


def test_invoices_between_sample_structures(directory_sample, write_csv):
    import_directory(directory_sample.paths)
    rows = [
        ["20000017200011", "21740042300018", "STECH", "FINANCES", "CC-2026-001", "05/01/2026"],
        ["21740042300018", "20000017200011", "", "STECH", "BON-2026-001", "06/01/2026"],
        ["1000001600013", "21740042300018", "", "ECOLES", "SIE-2026-001", "07/01/2026"],
    ]

    report = import_invoices(write_csv("invoices.csv", INVOICE_COLUMNS, rows))

    assert (report.created, report.rejected) == (3, 0)
    bonneville = Structure.objects.get(identifier="21740042300018")
    epci = Structure.objects.get(identifier="20000017200011")
    assert set(Structure.objects.partners_of(bonneville, PartnerKind.SUPPLIERS)) == {
        epci,
        Structure.objects.get(identifier="01000001600013"),
    }
    assert list(Structure.objects.partners_of(bonneville, PartnerKind.CUSTOMERS)) == [epci]


def test_progress_lines(parties, write_csv, monkeypatch):
    monkeypatch.setattr(tabular, "PROGRESS_EVERY", 2)
    rows = [invoice_row(parties["supplier"], parties["client"], f"F-{n}") for n in range(4)]
    lines = []

    import_invoices(write_csv("invoices.csv", INVOICE_COLUMNS, rows), progress=lines.append)

    assert lines == [
        "invoices.csv: 2 rows read",
        "invoices.csv: 4 rows read",
        "invoices.csv: 4 rows read, done",
    ]


def test_command_prints_report(parties, write_csv):
    rows = [invoice_row(parties["supplier"], parties["client"], "F-1")]
    stdout = io.StringIO()

    call_command(
        "import_invoices", write_csv("i.csv", INVOICE_COLUMNS, rows), "--quiet", stdout=stdout
    )

    assert "Invoices: 1 created, 0 unchanged, 0 rejected" in stdout.getvalue()
    assert "Partner relation rebuilt: 2 rows" in stdout.getvalue()


def test_command_bad_file_raises_command_error(write_csv):
    path = write_csv("bad.csv", ["number"], [["F-1"]])

    with pytest.raises(CommandError, match="missing columns"):
        call_command("import_invoices", path, "--quiet")
