"""Fixtures for the structures tests: the committed directory sample and CSV writers."""

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "structures" / "sample_data"


@dataclass
class DirectorySample:
    """The committed directory sample: its two CSV files and their rows as dicts."""

    structures_path: Path
    services_path: Path
    structure_rows: list[dict]
    service_rows: list[dict]

    @property
    def paths(self) -> list[Path]:
        return [self.structures_path, self.services_path]

    def structure_line(self, identifier: str) -> int:
        """Return the line number of a structure row in its file, the header being line 1."""
        identifiers = [row["Identifiant"] for row in self.structure_rows]
        return identifiers.index(identifier) + 2


def _read_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file, delimiter=";"))


@pytest.fixture(scope="session")
def directory_sample() -> DirectorySample:
    structures_path = SAMPLE_DIR / "annuaire_structures.csv"
    services_path = SAMPLE_DIR / "annuaire_services.csv"
    return DirectorySample(
        structures_path,
        services_path,
        _read_rows(structures_path),
        _read_rows(services_path),
    )


@pytest.fixture
def write_csv(tmp_path):
    """Return a function that writes a `;`-separated file into tmp_path and returns its path."""

    def write(name, header, rows, *, encoding="utf-8"):
        path = tmp_path / name
        with path.open("w", encoding=encoding, newline="") as file:
            writer = csv.writer(file, delimiter=";", lineterminator="\r\n")
            writer.writerow(header)
            writer.writerows(rows)
        return path

    return write
