"""Write the directory sample: the structures and services CSV files of the Chorus Pro export.

The public bodies and their SIRENs come from epci.json (© Etalab / DGCL / INSEE,
Licence Ouverte). NICs, addresses, postal codes, services and service ids are
invented; structures/sample_data/README.md lists what and why.
"""

import csv
import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from stdnum import luhn

from structures.directory import SERVICE_COLUMNS, STRUCTURE_COLUMNS

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_data"
STRUCTURES_FILE = "annuaire_structures.csv"
SERVICES_FILE = "annuaire_services.csv"

EPCI_COUNT = 40
INVENTED_NIC = "0001"
FIRST_SERVICE_ID = 100001

# Rows made odd on purpose, as real exports are. SIRENs of real communes of the sample.
BAD_CHECKSUM_SIREN = "211002134"  # Maizières-la-Grande-Paroisse
INACTIVE_SIREN = "214400988"  # Missillac
MANY_SERVICES_SIREN = "217400423"  # Bonneville
# No SIREN in epci.json starts with 0, so the identifier that a spreadsheet shortens to
# 13 digits belongs to an invented structure. Its SIREN and SIRET pass the checksum.
INVENTED_SIREN_BODY = "01000001"

EPCI_SERVICES = [
    ("FINANCES", "Direction des finances", True),
    ("STECH", "Services techniques", True),
]
MANY_SERVICES = [
    ("SERVICE_DEFAULT", "Service par défaut", True),
    ("FINANCES", "Direction des finances", True),
    ("STECH", "Services techniques", True),
    ("ECOLES", "Affaires scolaires", False),
]
# The first commune of these EPCI (by position in epci.json) has a default service.
EPCI_WITH_COMMUNE_SERVICE = range(1, 5)

# Chorus Pro writes booleans of the CSV export as True/False text.
TRUE, FALSE = "True", "False"


def _siret(siren: str, *, valid: bool = True) -> str:
    """Return SIREN + invented NIC + the check digit, or a wrong one when `valid` is false."""
    body = siren + INVENTED_NIC
    check = int(luhn.calc_check_digit(body))
    return body + str(check if valid else (check + 1) % 10)


def _postal_code(insee_code: str) -> str:
    """Return an invented postal code in the commune's department: 74000, 20000, 97100."""
    if insee_code.startswith("97"):
        return insee_code[:3] + "00"
    if insee_code[:2] in ("2A", "2B"):
        return "20000"
    return insee_code[:2] + "000"


def commune_designation(name: str) -> str:
    """Return a commune's designation as Chorus Pro writes it: COMMUNE DE BONNEVILLE."""
    upper = name.upper()
    if upper.startswith("LES "):
        return "COMMUNE DES " + upper[4:]
    if upper.startswith("LE "):
        return "COMMUNE DU " + upper[3:]
    if upper[0] in "AEIOUYÀÂÉÈÊÎÔÛ":
        return "COMMUNE D'" + upper
    return "COMMUNE DE " + upper


def _structure_row(identifier, designation, *, address, complement, seat, **flags) -> dict:
    """Return one row of the structures file; `seat` is the commune that gives the city."""
    return {
        "TypeIdentifiant": "1",
        "Identifiant": identifier,
        "RaisonSociale": designation,
        "EmetteurEdi": FALSE,
        "RecepteurEdi": FALSE,
        "GestionStatutMiseEnPaiement": FALSE,
        "GestionEngagement": TRUE if flags.get("commitment") else FALSE,
        "GestionService": TRUE if flags.get("manages_services") else FALSE,
        "GestionServiceEngagement": FALSE,
        "EstMOA": FALSE,
        "EstMOAUniquement": FALSE,
        "StructureActive": FALSE if flags.get("inactive") else TRUE,
        "Adresse": address,
        "ComplementAdresse1": complement[0],
        "ComplementAdresse2": complement[1],
        "CodePostal": _postal_code(seat["code"]),
        "Ville": seat["nom"].upper(),
        "NumTelephone": "",
        "Courriel": "",
        "CodePays": "FR",
        "LibellePays": "FRANCE",
    }


def _service_row(service_id: int, structure: dict, code: str, label: str, active: bool) -> dict:
    row = {name: structure.get(name, "") for name in SERVICE_COLUMNS}
    row.update(
        {
            "idService": str(service_id),
            "Code": code,
            "Nom": label,
            "GestionEGMT": FALSE,
            "ServiceActif": TRUE if active else FALSE,
        }
    )
    return row


def _epci_row(epci: dict, services: list) -> dict:
    return _structure_row(
        _siret(epci["code"]),
        epci["nom"].upper(),
        address="10 avenue de la République",
        complement=("Siège communautaire", "CS 20001"),
        seat=epci["membres"][0],
        commitment=True,
        manages_services=bool(services),
    )


def _commune_row(commune: dict, services: list) -> dict:
    siren = commune["siren"]
    return _structure_row(
        _siret(siren, valid=siren != BAD_CHECKSUM_SIREN),
        commune_designation(commune["nom"]),
        address="1 place de la Mairie",
        complement=("Hôtel de Ville", ""),
        seat=commune,
        manages_services=bool(services),
        inactive=siren == INACTIVE_SIREN,
    )


def _invented_row() -> dict:
    """Return the invented structure whose SIRET starts with 0, written with 13 digits."""
    siren = INVENTED_SIREN_BODY + luhn.calc_check_digit(INVENTED_SIREN_BODY)
    return _structure_row(
        _siret(siren).lstrip("0"),
        "SYNDICAT INTERCOMMUNAL FICTIF DES EAUX DE L'EYRIEUX",
        address="2 rue de la Source",
        complement=("", ""),
        seat={"code": "07186", "nom": "Privas"},
    )


def _commune_services(epci_index: int, member_index: int, commune: dict) -> list:
    if commune["siren"] == MANY_SERVICES_SIREN:
        return MANY_SERVICES
    if member_index == 0 and epci_index in EPCI_WITH_COMMUNE_SERVICE:
        return MANY_SERVICES[:1]
    return []


def build_sample(epcis: list[dict]) -> tuple[list[dict], list[dict]]:
    """Return the structures rows and the services rows built from the first EPCI_COUNT EPCI."""
    structures, services = [], []

    def add(row, structure_services):
        structures.append(row)
        for code, label, active in structure_services:
            service_id = FIRST_SERVICE_ID + len(services)
            services.append(_service_row(service_id, row, code, label, active))

    for epci_index, epci in enumerate(epcis[:EPCI_COUNT]):
        add(_epci_row(epci, EPCI_SERVICES), EPCI_SERVICES)
        for member_index, commune in enumerate(epci["membres"]):
            commune_services = _commune_services(epci_index, member_index, commune)
            add(_commune_row(commune, commune_services), commune_services)
    add(_invented_row(), [])
    return structures, services


def write_csv(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    """Write `rows` as a `;`-separated UTF-8 file with a header line."""
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, delimiter=";", lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([row[name] for name in columns] for row in rows)


class Command(BaseCommand):
    help = (
        "Write the directory sample (structures and services CSV files in the Chorus Pro "
        "export layout) from epci.json. The output is the same on every run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "epci_json",
            nargs="?",
            type=Path,
            default=Path(settings.BASE_DIR) / ".." / "shared" / "data" / "epci.json",
            help="path of epci.json (default: ../shared/data/epci.json from the project root)",
        )
        parser.add_argument(
            "--output-dir",
            type=Path,
            default=SAMPLE_DIR,
            help=f"folder that receives {STRUCTURES_FILE} and {SERVICES_FILE} "
            "(default: structures/sample_data)",
        )

    def handle(self, *args, epci_json, output_dir, **options):
        try:
            epcis = json.loads(epci_json.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(f"{epci_json}: cannot be read as JSON ({error}).") from error
        structures, services = build_sample(epcis)
        output_dir.mkdir(parents=True, exist_ok=True)
        write_csv(output_dir / STRUCTURES_FILE, STRUCTURE_COLUMNS, structures)
        write_csv(output_dir / SERVICES_FILE, SERVICE_COLUMNS, services)
        self.stdout.write(
            f"Wrote {len(structures)} structures and {len(services)} services to {output_dir}"
        )
