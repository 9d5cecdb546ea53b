"""The committed directory sample and the command that builds it."""

import csv
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from structures.directory import SERVICE_COLUMNS, STRUCTURE_COLUMNS
from structures.management.commands.build_directory_sample import commune_designation
from structures.siret import is_valid_siret

EPCI_JSON = Path(settings.BASE_DIR).parent / "shared" / "data" / "epci.json"


def header_of(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as file:
        return next(csv.reader(file, delimiter=";"))


def test_sample_headers_match_the_export(directory_sample):
    assert header_of(directory_sample.structures_path) == list(STRUCTURE_COLUMNS)
    assert header_of(directory_sample.services_path) == list(SERVICE_COLUMNS)


def test_sample_is_utf8_without_bom(directory_sample):
    for path in directory_sample.paths:
        data = path.read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf")
        data.decode("utf-8")


def test_sample_sirets_are_valid_except_the_oddities(directory_sample):
    identifiers = [row["Identifiant"] for row in directory_sample.structure_rows]

    invalid = [i for i in identifiers if not is_valid_siret(i)]

    assert invalid == ["21100213400017", "1000001600013"]
    assert is_valid_siret("0" + "1000001600013")


def test_sample_has_one_inactive_structure(directory_sample):
    inactive = [
        row["Identifiant"]
        for row in directory_sample.structure_rows
        if row["StructureActive"] == "False"
    ]

    assert inactive == ["21440098800017"]


def test_sample_services_include_an_inactive_one(directory_sample):
    bonneville = [
        (row["Code"], row["ServiceActif"])
        for row in directory_sample.service_rows
        if row["Identifiant"] == "21740042300018"
    ]

    assert ("ECOLES", "False") in bonneville
    assert len(bonneville) == 4


def test_sample_structures_with_services_manage_them(directory_sample):
    with_services = {row["Identifiant"] for row in directory_sample.service_rows}
    managing = {
        row["Identifiant"]
        for row in directory_sample.structure_rows
        if row["GestionService"] == "True"
    }

    assert managing == with_services


@pytest.mark.skipif(not EPCI_JSON.exists(), reason=f"{EPCI_JSON} is not available")
def test_build_reproduces_the_committed_sample(directory_sample, tmp_path):
    stdout = io.StringIO()

    call_command("build_directory_sample", EPCI_JSON, "--output-dir", tmp_path, stdout=stdout)

    assert "Wrote 884 structures and 88 services" in stdout.getvalue()
    for committed in directory_sample.paths:
        assert (tmp_path / committed.name).read_bytes() == committed.read_bytes()


@pytest.mark.parametrize(
    ("name", "designation"),
    [
        ("Bonneville", "COMMUNE DE BONNEVILLE"),
        ("Les Abymes", "COMMUNE DES ABYMES"),
        ("Le Lamentin", "COMMUNE DU LAMENTIN"),
        ("Ayse", "COMMUNE D'AYSE"),
        ("Échigey", "COMMUNE D'ÉCHIGEY"),
        ("La Roche-sur-Foron", "COMMUNE DE LA ROCHE-SUR-FORON"),
    ],
)
def test_commune_designation(name, designation):
    assert commune_designation(name) == designation
