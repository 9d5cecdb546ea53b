"""The directory import on CSV files: the committed sample, odd rows, encodings, bad files."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from structures import directory, tabular
from structures.directory import (
    SERVICE_COLUMNS,
    STRUCTURE_COLUMNS,
    ImportFileError,
    import_directory,
)
from structures.models import IdentifierType, Service, Structure

pytestmark = pytest.mark.django_db

THIRTEEN_DIGITS = "1000001600013"
RESTORED_SIRET = "01000001600013"
BAD_CHECKSUM_SIRET = "21100213400017"
INACTIVE_SIRET = "21440098800017"
BONNEVILLE_SIRET = "21740042300018"


def structure_row(**changes) -> list[str]:
    """Return a valid structures row in column order, with `changes` by column name."""
    row = {
        "TypeIdentifiant": "1",
        "Identifiant": BONNEVILLE_SIRET,
        "RaisonSociale": "COMMUNE DE BONNEVILLE",
        "GestionService": "False",
        "StructureActive": "True",
        "Adresse": "1 place de la Mairie",
        "ComplementAdresse1": "Hôtel de Ville",
        "CodePostal": "74130",
        "Ville": "BONNEVILLE",
        "CodePays": "FR",
        "LibellePays": "FRANCE",
    }
    row.update(changes)
    return [
        row.get(name, "False" if name.startswith(("Est", "Gestion")) else "")
        for name in STRUCTURE_COLUMNS
    ]


def service_row(**changes) -> list[str]:
    row = {
        "idService": "1",
        "Identifiant": BONNEVILLE_SIRET,
        "RaisonSociale": "COMMUNE DE BONNEVILLE",
        "Code": "STECH",
        "Nom": "Services techniques",
        "GestionEGMT": "False",
        "ServiceActif": "True",
    }
    row.update(changes)
    return [row.get(name, "") for name in SERVICE_COLUMNS]


def database_counts() -> tuple[int, int]:
    return Structure.objects.count(), Service.objects.count()


def messages_by_line(issues) -> dict[int, str]:
    return {issue.line: issue.message for issue in issues}


# The committed sample ----------------------------------------------------------


def test_sample_import_creates_every_row(directory_sample):
    report = import_directory(directory_sample.paths)

    assert Structure.objects.count() == len(directory_sample.structure_rows)
    assert Service.objects.count() == len(directory_sample.service_rows)
    assert report.structures.created == len(directory_sample.structure_rows)
    assert report.services.created == len(directory_sample.service_rows)
    assert report.structures.rejected == 0
    assert report.services.rejected == 0
    assert report.rejections == []


def test_sample_structures_are_public(directory_sample):
    import_directory(directory_sample.paths)

    assert not Structure.objects.filter(is_public=False).exists()


def test_sample_thirteen_digits_restored_with_warning(directory_sample):
    report = import_directory(directory_sample.paths)

    assert Structure.objects.filter(identifier=RESTORED_SIRET).exists()
    assert not Structure.objects.filter(identifier=THIRTEEN_DIGITS).exists()
    line = directory_sample.structure_line(THIRTEEN_DIGITS)
    warning = messages_by_line(report.warnings)[line]
    assert "13 digits" in warning
    assert RESTORED_SIRET in warning


def test_sample_bad_checksum_kept_with_warning(directory_sample):
    report = import_directory(directory_sample.paths)

    assert Structure.objects.filter(identifier=BAD_CHECKSUM_SIRET).exists()
    line = directory_sample.structure_line(BAD_CHECKSUM_SIRET)
    assert "fails the checksum" in messages_by_line(report.warnings)[line]


def test_sample_warnings_are_only_the_two_oddities(directory_sample):
    report = import_directory(directory_sample.paths)

    assert len(report.warnings) == 2


def test_sample_inactive_structure(directory_sample):
    import_directory(directory_sample.paths)

    assert Structure.objects.get(identifier=INACTIVE_SIRET).is_active is False
    assert Structure.objects.filter(is_active=False).count() == 1


def test_sample_structure_with_services(directory_sample):
    import_directory(directory_sample.paths)

    bonneville = Structure.objects.get(identifier=BONNEVILLE_SIRET)
    services = {service.code: service for service in bonneville.services.all()}
    assert bonneville.manages_services is True
    assert set(services) == {"SERVICE_DEFAULT", "FINANCES", "STECH", "ECOLES"}
    assert services["ECOLES"].is_active is False
    assert services["STECH"].label == "Services techniques"


def test_sample_address_fields(directory_sample):
    import_directory(directory_sample.paths)

    epci = Structure.objects.get(identifier="20000017200011")
    assert epci.designation == "CC FAUCIGNY - GLIÈRES"
    assert epci.address == "10 avenue de la République"
    assert epci.address_complement == "Siège communautaire, CS 20001"
    assert epci.postal_code == "74000"
    assert epci.city == "BONNEVILLE"
    assert epci.country_code == "FR"
    assert epci.identifier_type == IdentifierType.SIRET


def test_file_order_does_not_matter(directory_sample):
    report = import_directory(list(reversed(directory_sample.paths)))

    assert report.services.created == len(directory_sample.service_rows)
    assert report.services.rejected == 0


# Idempotence and updates ---------------------------------------------------------


def test_reimport_changes_nothing(directory_sample):
    import_directory(directory_sample.paths)

    with CaptureQueriesContext(connection) as queries:
        report = import_directory(directory_sample.paths)

    assert (report.structures.created, report.structures.updated) == (0, 0)
    assert report.structures.unchanged == len(directory_sample.structure_rows)
    assert (report.services.created, report.services.updated) == (0, 0)
    assert report.services.unchanged == len(directory_sample.service_rows)
    writes = [
        q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))
    ]
    assert writes == []


def test_changed_row_is_updated(directory_sample, write_csv):
    import_directory(directory_sample.paths)
    structures = [list(row.values()) for row in directory_sample.structure_rows]
    structures[0][STRUCTURE_COLUMNS.index("RaisonSociale")] = "CC FAUCIGNY - GLIÈRES (NOUVEAU NOM)"
    structures[0][STRUCTURE_COLUMNS.index("StructureActive")] = "False"
    services = [list(row.values()) for row in directory_sample.service_rows]
    services[0][SERVICE_COLUMNS.index("Nom")] = "Finances et budget"

    report = import_directory(
        [
            write_csv("structures.csv", STRUCTURE_COLUMNS, structures),
            write_csv("services.csv", SERVICE_COLUMNS, services),
        ]
    )

    assert (report.structures.created, report.structures.updated) == (0, 1)
    assert report.structures.unchanged == len(structures) - 1
    assert (report.services.created, report.services.updated) == (0, 1)
    epci = Structure.objects.get(identifier="20000017200011")
    assert epci.designation == "CC FAUCIGNY - GLIÈRES (NOUVEAU NOM)"
    assert epci.is_active is False
    assert epci.services.get(code="FINANCES").label == "Finances et budget"


def test_private_structure_in_directory_becomes_public(write_csv):
    Structure.objects.create(identifier=BONNEVILLE_SIRET, designation="OLD", is_public=False)

    report = import_directory([write_csv("s.csv", STRUCTURE_COLUMNS, [structure_row()])])

    assert report.structures.updated == 1
    assert Structure.objects.get(identifier=BONNEVILLE_SIRET).is_public is True


def test_dry_run_changes_nothing(directory_sample):
    report = import_directory(directory_sample.paths, dry_run=True)

    assert report.structures.created == len(directory_sample.structure_rows)
    assert database_counts() == (0, 0)


# Odd and rejected rows ------------------------------------------------------------


def test_rejected_structure_rows_name_line_and_reason(write_csv):
    rows = [
        structure_row(),
        structure_row(Identifiant=""),
        structure_row(TypeIdentifiant="9", Identifiant="21740042300026"),
        structure_row(Identifiant="2174004230001A"),
        structure_row(Identifiant="21740024100014", RaisonSociale=""),
        structure_row(RaisonSociale="COMMUNE DE BONNEVILLE BIS"),
        structure_row(Identifiant="2,17400E+13"),
        structure_row(Identifiant="21740024100014", StructureActive="peut-être"),
        structure_row(Identifiant="21740024100014", GestionService=""),
        structure_row(Identifiant="21740024100"),
        structure_row(Identifiant="21740024100014", CodePays="FRA"),
        structure_row(Identifiant="21740024100014"),
    ]
    path = write_csv("annuaire.csv", STRUCTURE_COLUMNS, rows)

    report = import_directory([path])

    rejected = messages_by_line(report.rejections)
    assert sorted(rejected) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert "Identifiant is empty" in rejected[3]
    assert "unknown TypeIdentifiant '9'" in rejected[4]
    assert "characters other than digits" in rejected[5]
    assert "RaisonSociale is empty" in rejected[6]
    assert "duplicate of annuaire.csv, line 2" in rejected[7]
    assert "scientific notation" in rejected[8]
    assert "StructureActive is 'peut-être'" in rejected[9]
    assert "GestionService is empty" in rejected[10]
    assert "11 digits" in rejected[11]
    assert "CodePays 'FRA'" in rejected[12]
    assert report.rejections[0].source == "annuaire.csv"
    assert report.structures.rejected == 10
    assert report.structures.created == 2
    assert Structure.objects.get(identifier=BONNEVILLE_SIRET).designation == "COMMUNE DE BONNEVILLE"


def test_rejected_service_rows_name_line_and_reason(write_csv):
    structures = write_csv("structures.csv", STRUCTURE_COLUMNS, [structure_row()])
    rows = [
        service_row(),
        service_row(Identifiant="21740024100014"),
        service_row(Nom="Doublon"),
        service_row(Code=""),
        service_row(Identifiant=""),
        service_row(Code="ECOLES", ServiceActif="maybe"),
        service_row(Code="ECOLES", ServiceActif="FAUX"),
    ]
    services = write_csv("services.csv", SERVICE_COLUMNS, rows)

    report = import_directory([structures, services])

    rejected = messages_by_line(report.rejections)
    assert sorted(rejected) == [3, 4, 5, 6, 7]
    assert "parent structure 21740024100014 not found" in rejected[3]
    assert "duplicate of services.csv, line 2" in rejected[4]
    assert "service STECH" in rejected[4]
    assert "Code is empty" in rejected[5]
    assert "Identifiant is empty" in rejected[6]
    assert "ServiceActif is 'maybe'" in rejected[7]
    assert report.services.rejected == 5
    assert Service.objects.get(code="STECH").label == "Services techniques"
    assert Service.objects.get(code="ECOLES").is_active is False


def test_service_of_structure_already_stored(write_csv):
    import_directory([write_csv("structures.csv", STRUCTURE_COLUMNS, [structure_row()])])

    report = import_directory([write_csv("services.csv", SERVICE_COLUMNS, [service_row()])])

    assert report.services.created == 1
    assert Service.objects.get().structure.identifier == BONNEVILLE_SIRET


def test_service_parent_given_with_thirteen_digits(write_csv):
    structures = write_csv(
        "structures.csv", STRUCTURE_COLUMNS, [structure_row(Identifiant=THIRTEEN_DIGITS)]
    )
    services = write_csv(
        "services.csv", SERVICE_COLUMNS, [service_row(Identifiant=THIRTEEN_DIGITS)]
    )

    report = import_directory([structures, services])

    assert report.services.created == 1
    assert Service.objects.get().structure.identifier == RESTORED_SIRET


def test_services_file_without_id_column(write_csv):
    structures = write_csv("structures.csv", STRUCTURE_COLUMNS, [structure_row()])
    services = write_csv("services.csv", SERVICE_COLUMNS[1:], [service_row()[1:]])

    report = import_directory([structures, services])

    assert report.services.created == 1


def test_twelve_digit_siret_gets_two_zeros(write_csv):
    path = write_csv("s.csv", STRUCTURE_COLUMNS, [structure_row(Identifiant="552081317025")])

    report = import_directory([path])

    assert Structure.objects.filter(identifier="00552081317025").exists()
    assert "restored the leading zeros" in report.warnings[0].message


def test_siret_with_spaces_is_normalised(write_csv):
    path = write_csv("s.csv", STRUCTURE_COLUMNS, [structure_row(Identifiant="217 400 423 00018")])

    import_directory([path])

    assert Structure.objects.filter(identifier=BONNEVILLE_SIRET).exists()


@pytest.mark.parametrize(
    ("true_text", "false_text"),
    [("True", "False"), ("VRAI", "FAUX"), ("1", "0"), ("oui", "non"), ("true", "faux")],
)
def test_boolean_spellings(write_csv, true_text, false_text):
    rows = [
        structure_row(GestionService=true_text, StructureActive=false_text),
        structure_row(
            Identifiant="21740024100014", GestionService=false_text, StructureActive=true_text
        ),
    ]

    import_directory([write_csv("s.csv", STRUCTURE_COLUMNS, rows)])

    first = Structure.objects.get(identifier=BONNEVILLE_SIRET)
    second = Structure.objects.get(identifier="21740024100014")
    assert (first.manages_services, first.is_active) == (True, False)
    assert (second.manages_services, second.is_active) == (False, True)


@pytest.mark.parametrize(
    ("type_text", "identifier", "expected"),
    [
        ("1", BONNEVILLE_SIRET, IdentifierType.SIRET),
        ("SIRET", BONNEVILLE_SIRET, IdentifierType.SIRET),
        ("2", "DE123456789", IdentifierType.UE_HORS_FRANCE),
        ("3", "CHE-123.456.789", IdentifierType.HORS_UE),
        ("4", "1234567", IdentifierType.RIDET),
        ("5", "A12345", IdentifierType.TAHITI),
        ("6", "ASSO-42", IdentifierType.AUTRE),
        ("7", "P-0001", IdentifierType.PARTICULIER),
        ("hors_ue", "US-99", IdentifierType.HORS_UE),
    ],
)
def test_identifier_type_codes_and_names(write_csv, type_text, identifier, expected):
    row = structure_row(TypeIdentifiant=type_text, Identifiant=identifier, CodePays="DE")

    report = import_directory([write_csv("s.csv", STRUCTURE_COLUMNS, [row])])

    assert report.rejections == []
    assert Structure.objects.get(identifier=identifier).identifier_type == expected


def test_french_postal_code_gets_its_leading_zero(write_csv):
    rows = [
        structure_row(CodePostal="7000"),
        structure_row(Identifiant="21740024100014", CodePostal="1000", CodePays="BE"),
        structure_row(Identifiant="21740045600014", CodePostal="1000", CodePays=""),
    ]

    import_directory([write_csv("s.csv", STRUCTURE_COLUMNS, rows)])

    assert Structure.objects.get(identifier=BONNEVILLE_SIRET).postal_code == "07000"
    belgian = Structure.objects.get(identifier="21740024100014")
    assert (belgian.postal_code, belgian.country_code) == ("1000", "BE")
    no_country = Structure.objects.get(identifier="21740045600014")
    assert (no_country.postal_code, no_country.country_code) == ("01000", "FR")


def test_too_long_address_is_truncated_with_warning(write_csv):
    path = write_csv("s.csv", STRUCTURE_COLUMNS, [structure_row(Adresse="x" * 300)])

    report = import_directory([path])

    assert len(Structure.objects.get().address) == 255
    assert "address truncated to 255 characters" in report.warnings[0].message


def test_blank_lines_are_skipped(write_csv):
    rows = [structure_row(), [], [""] * len(STRUCTURE_COLUMNS)]

    report = import_directory([write_csv("s.csv", STRUCTURE_COLUMNS, rows)])

    assert report.structures.created == 1
    assert report.rejections == []


def test_columns_in_another_order(write_csv):
    header = list(reversed(STRUCTURE_COLUMNS))

    report = import_directory([write_csv("s.csv", header, [list(reversed(structure_row()))])])

    assert report.structures.created == 1
    assert Structure.objects.get().designation == "COMMUNE DE BONNEVILLE"


# Encodings ------------------------------------------------------------------------


def reencode(source, target, encoding):
    target.write_bytes(source.read_text(encoding="utf-8").encode(encoding))
    return target


# Latin-1 cannot encode every name of the sample (Ÿ), so it has its own test below.
@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig"])
def test_csv_in_excel_encodings(directory_sample, tmp_path, encoding):
    paths = [
        reencode(directory_sample.structures_path, tmp_path / "structures.csv", encoding),
        reencode(directory_sample.services_path, tmp_path / "services.csv", encoding),
    ]

    report = import_directory(paths)

    assert report.structures.created == len(directory_sample.structure_rows)
    assert report.services.created == len(directory_sample.service_rows)
    assert Structure.objects.filter(designation="CC FAUCIGNY - GLIÈRES").exists()
    assert Structure.objects.filter(designation="COMMUNE DE POINTE-À-PITRE").exists()


def test_latin1_csv(write_csv):
    rows = [structure_row(RaisonSociale="COMMUNE D'ÉCHIGEY", Ville="ÉCHIGEY")]

    import_directory([write_csv("s.csv", STRUCTURE_COLUMNS, rows, encoding="latin-1")])

    assert Structure.objects.get().designation == "COMMUNE D'ÉCHIGEY"


def test_cp1252_only_characters(write_csv):
    rows = [structure_row(RaisonSociale="SYNDICAT DES CŒURS \N{EN DASH} ÉTÉ")]

    import_directory([write_csv("s.csv", STRUCTURE_COLUMNS, rows, encoding="cp1252")])

    assert Structure.objects.get().designation == "SYNDICAT DES CŒURS \N{EN DASH} ÉTÉ"


# Files that abort the import --------------------------------------------------------


def test_wrong_columns_abort_and_change_nothing(directory_sample, write_csv):
    import_directory(directory_sample.paths)
    before = database_counts()
    header = ["SIRET" if name == "Identifiant" else name for name in STRUCTURE_COLUMNS]
    good = write_csv("good.csv", STRUCTURE_COLUMNS, [structure_row(Identifiant="21740024100014")])
    bad = write_csv("bad.csv", [*header, "Commentaire"], [[*structure_row(), ""]])

    with pytest.raises(ImportFileError) as error:
        import_directory([good, bad])

    message = str(error.value)
    assert "bad.csv" in message
    assert "missing columns: Identifiant" in message
    assert "unexpected columns: SIRET, Commentaire" in message
    assert database_counts() == before


def test_comma_separated_file_gets_a_hint(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(",".join(STRUCTURE_COLUMNS) + "\n", encoding="utf-8")

    with pytest.raises(ImportFileError, match="comma- or tab-separated"):
        import_directory([path])


def test_unrelated_header_names_both_layouts(write_csv):
    path = write_csv("s.csv", ["a", "b"], [["1", "2"]])

    with pytest.raises(ImportFileError, match="none of the directory columns"):
        import_directory([path])


def test_undecodable_bytes_abort_and_change_nothing(directory_sample, tmp_path):
    import_directory(directory_sample.paths)
    before = database_counts()
    path = tmp_path / "broken.csv"
    # 0x81 starts no UTF-8 sequence and is one of the five bytes Windows-1252 leaves undefined.
    path.write_bytes(";".join(STRUCTURE_COLUMNS).encode() + b"\n1;\x81\x8d;X\n")

    with pytest.raises(ImportFileError) as error:
        import_directory([directory_sample.structures_path, path])

    assert "broken.csv" in str(error.value)
    assert "neither UTF-8 nor Windows-1252" in str(error.value)
    assert database_counts() == before


def test_utf16_file_aborts(tmp_path):
    path = tmp_path / "unicode.csv"
    path.write_text(";".join(STRUCTURE_COLUMNS), encoding="utf-16")

    with pytest.raises(ImportFileError, match="NUL bytes"):
        import_directory([path])


def test_xls_file_aborts(tmp_path):
    path = tmp_path / "annuaire.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))

    with pytest.raises(ImportFileError, match="97-2003"):
        import_directory([path])


def test_empty_file_aborts(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")

    with pytest.raises(ImportFileError, match=r"empty\.csv: the first line is empty"):
        import_directory([path])


def test_missing_file_aborts(tmp_path):
    with pytest.raises(ImportFileError, match="cannot be read"):
        import_directory([tmp_path / "absent.csv"])


def test_malformed_csv_rolls_back_rows_already_written(write_csv, monkeypatch):
    monkeypatch.setattr(directory, "BATCH_SIZE", 1)
    path = write_csv("s.csv", STRUCTURE_COLUMNS, [structure_row()])
    with path.open("a", encoding="utf-8") as file:
        # An unbalanced quote makes the rest of the file one field, longer than csv allows.
        file.write('1;"' + "x" * 200_000 + "\n")

    with pytest.raises(ImportFileError, match="malformed CSV"):
        import_directory([path])

    assert database_counts() == (0, 0)


# Report, progress and command ---------------------------------------------------------


def test_report_lists_are_capped(directory_sample):
    report = import_directory(directory_sample.paths)

    lines = report.format_lines(limit=1)

    created = len(directory_sample.structure_rows)
    assert lines[0] == f"Structures: {created} created, 0 updated, 0 unchanged, 0 rejected"
    assert lines[2] == "Warnings (2):"
    assert lines[4] == "  ... and 1 more, not listed"


def test_progress_lines_every_n_rows(directory_sample, monkeypatch):
    monkeypatch.setattr(tabular, "PROGRESS_EVERY", 100)
    lines = []

    import_directory(directory_sample.paths, progress=lines.append)

    assert "annuaire_structures.csv: 100 rows read" in lines
    assert "annuaire_structures.csv: 800 rows read" in lines
    assert (
        lines[-1] == f"annuaire_services.csv: {len(directory_sample.service_rows)} rows read, done"
    )


def test_command_prints_report(directory_sample):
    stdout, stderr = io.StringIO(), io.StringIO()

    call_command("import_directory", *directory_sample.paths, stdout=stdout, stderr=stderr)

    assert "Structures: 884 created" in stdout.getvalue()
    assert "Warnings (2):" in stdout.getvalue()
    assert "rows read, done" in stderr.getvalue()


def test_command_quiet_prints_no_progress(directory_sample):
    stderr = io.StringIO()

    call_command(
        "import_directory", *directory_sample.paths, "--quiet", stdout=io.StringIO(), stderr=stderr
    )

    assert stderr.getvalue() == ""


def test_command_dry_run_changes_nothing(directory_sample):
    stdout = io.StringIO()

    call_command("import_directory", *directory_sample.paths, "--dry-run", "--quiet", stdout=stdout)

    assert "rolled back" in stdout.getvalue()
    assert database_counts() == (0, 0)


def test_command_bad_file_raises_command_error(write_csv):
    path = write_csv("bad.csv", ["Identifiant"], [["1"]])

    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_directory", path, "--quiet")


def test_import_stores_folded_copies_for_search(directory_sample):
    import_directory(directory_sample.paths)

    bonneville = Structure.objects.get(identifier="21740042300018")

    assert bonneville.designation_folded == "commune de bonneville"
    assert Structure.objects.filter(designation_folded__contains="glieres").exists()
