"""The directory import on XLSX workbooks, built from the committed CSV sample.

The real export stores identifiers, postal codes and type codes as numbers
and booleans as booleans; the workbooks here do the same.
"""

import openpyxl
import pytest

from structures.directory import (
    SERVICE_COLUMNS,
    STRUCTURE_COLUMNS,
    ImportFileError,
    import_directory,
)
from structures.models import Service, Structure

pytestmark = pytest.mark.django_db

NUMBER_COLUMNS = {"TypeIdentifiant", "Identifiant", "CodePostal", "idService"}
BOOLEAN_TEXT = {"True": True, "False": False}


def spreadsheet_cell(column: str, text: str, number_type=int):
    """Return the cell value a spreadsheet stores for a CSV field."""
    if column in NUMBER_COLUMNS and text.isdigit():
        return number_type(text)
    return BOOLEAN_TEXT.get(text, text or None)


def add_sheet(workbook, title, columns, rows, *, number_type=int):
    sheet = workbook.create_sheet(title)
    sheet.append(list(columns))
    for row in rows:
        sheet.append([spreadsheet_cell(name, row[name], number_type) for name in columns])
    return sheet


def build_workbook(path, directory_sample, *, service_columns=SERVICE_COLUMNS, number_type=int):
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    add_sheet(
        workbook,
        "Structures",
        STRUCTURE_COLUMNS,
        directory_sample.structure_rows,
        number_type=number_type,
    )
    add_sheet(
        workbook,
        "Services",
        service_columns,
        directory_sample.service_rows,
        number_type=number_type,
    )
    workbook.save(path)
    return path


def test_xlsx_sample_import_creates_every_row(directory_sample, tmp_path):
    path = build_workbook(tmp_path / "annuaire.xlsx", directory_sample)

    report = import_directory([path])

    assert report.structures.created == len(directory_sample.structure_rows)
    assert report.services.created == len(directory_sample.service_rows)
    assert report.rejections == []
    assert Structure.objects.count() == len(directory_sample.structure_rows)
    assert Service.objects.count() == len(directory_sample.service_rows)


def test_xlsx_number_cells_restored(directory_sample, tmp_path):
    path = build_workbook(tmp_path / "annuaire.xlsx", directory_sample)

    report = import_directory([path])

    invented = Structure.objects.get(identifier="01000001600013")
    assert invented.postal_code == "07000"
    assert Structure.objects.get(identifier="21740042300018").postal_code == "74000"
    line = directory_sample.structure_line("1000001600013")
    restored = [w for w in report.warnings if "13 digits" in w.message]
    assert [(w.source, w.line) for w in restored] == [("annuaire.xlsx, sheet Structures", line)]


def test_xlsx_booleans(directory_sample, tmp_path):
    path = build_workbook(tmp_path / "annuaire.xlsx", directory_sample)

    import_directory([path])

    assert Structure.objects.get(identifier="21440098800017").is_active is False
    assert Structure.objects.get(identifier="21740042300018").manages_services is True
    assert Service.objects.get(code="ECOLES").is_active is False


def test_xlsx_float_cells(directory_sample, tmp_path):
    path = build_workbook(tmp_path / "annuaire.xlsx", directory_sample, number_type=float)

    report = import_directory([path])

    assert report.rejections == []
    assert Structure.objects.filter(identifier="01000001600013").exists()
    assert Structure.objects.get(identifier="20000017200011").postal_code == "74000"


def test_xlsx_services_sheet_without_id_column(directory_sample, tmp_path):
    path = build_workbook(
        tmp_path / "annuaire.xlsx", directory_sample, service_columns=SERVICE_COLUMNS[1:]
    )

    report = import_directory([path])

    assert report.services.created == len(directory_sample.service_rows)


def test_xlsx_reimport_changes_nothing(directory_sample, tmp_path):
    path = build_workbook(tmp_path / "annuaire.xlsx", directory_sample)
    import_directory([path])

    report = import_directory([path])

    assert (report.structures.created, report.structures.updated) == (0, 0)
    assert report.structures.unchanged == len(directory_sample.structure_rows)
    assert report.services.unchanged == len(directory_sample.service_rows)


def test_xlsx_and_csv_give_the_same_structures(directory_sample, tmp_path):
    import_directory(directory_sample.paths)

    report = import_directory([build_workbook(tmp_path / "annuaire.xlsx", directory_sample)])

    assert report.structures.unchanged == len(directory_sample.structure_rows)
    assert report.services.unchanged == len(directory_sample.service_rows)


def test_workbook_recognised_by_content_not_name(directory_sample, tmp_path):
    path = build_workbook(tmp_path / "annuaire.csv", directory_sample)

    report = import_directory([path])

    assert report.structures.created == len(directory_sample.structure_rows)


def test_empty_sheet_is_ignored(directory_sample, tmp_path):
    path = build_workbook(tmp_path / "annuaire.xlsx", directory_sample)
    workbook = openpyxl.load_workbook(path)
    workbook.create_sheet("Vide")
    workbook.save(path)

    report = import_directory([path])

    assert report.structures.created == len(directory_sample.structure_rows)


def test_sheet_with_wrong_columns_aborts(directory_sample, tmp_path):
    path = build_workbook(tmp_path / "annuaire.xlsx", directory_sample)
    workbook = openpyxl.load_workbook(path)
    workbook["Services"]["D1"] = "CodeService"
    workbook.save(path)

    with pytest.raises(ImportFileError) as error:
        import_directory([path])

    assert "sheet Services" in str(error.value)
    assert "missing columns: Code" in str(error.value)
    assert "unexpected columns: CodeService" in str(error.value)
    assert Structure.objects.count() == 0


def test_corrupt_workbook_aborts(tmp_path):
    path = tmp_path / "annuaire.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"not really a zip archive")

    with pytest.raises(ImportFileError, match="not a readable XLSX workbook"):
        import_directory([path])
