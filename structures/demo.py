"""The demo data set: the directory sample, named structures, suppliers, invoices, users.

Every step updates what exists instead of duplicating it, so the demo can be
loaded again on the same database.
"""

import datetime
import logging
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from stdnum import luhn

from structures.directory import import_directory
from structures.models import Invoice, Membership, Service, Structure
from structures.partners import rebuild_partners

logger = logging.getLogger(__name__)

SAMPLE_DIR = Path(__file__).resolve().parent / "sample_data"
DEMO_PASSWORD = "demo-chorus-2026"

MINISTRY = "11000201100044"
BORDEAUX = "21330063500017"
DUPONT = "79141015200015"

# Public bodies that Chorus Pro users meet in the portal's own examples.
NAMED_PUBLIC_BODIES = [
    {
        "identifier": MINISTRY,
        "designation": "SEC ETAT AUPRES MINISTRE ECO FINANCES",
        "address": "139 rue de Bercy",
        "postal_code": "75012",
        "city": "Paris",
        "services": [("EALCPCM033", "Achats centraux"), ("STECH", "Service technique")],
    },
    {
        "identifier": BORDEAUX,
        "designation": "COMMUNE DE BORDEAUX - MAIRE",
        "address": "Place Pey-Berland",
        "postal_code": "33000",
        "city": "Bordeaux",
        "services": [("STECH", "Services techniques"), ("FINANCES", "Direction des finances")],
    },
]

# Invented suppliers: names, addresses and SIRENs are made up; each SIRET passes the checksum.
INVENTED_SUPPLIERS = [
    ("ATELIERS DUPONT SARL", "12 rue des Forges", "33300", "Bordeaux"),
    ("BUREAU PLUS FOURNITURES", "4 avenue de la Gare", "69003", "Lyon"),
    ("NETTOYAGE AQUITAINE SAS", "27 quai des Chartrons", "33000", "Bordeaux"),
    ("INFORMATIQUE & RÉSEAUX DU SUD-OUEST", "8 allée Serr", "33100", "Bordeaux"),
    ("TRAITEUR L'ÉPICURIEN", "3 place du Marché", "74130", "Bonneville"),
    ("BTP GIRONDE CONSTRUCTION", "150 route de Toulouse", "33130", "Bègles"),
    ("ÉLAGAGE ET ESPACES VERTS MARTIN", "2 chemin des Prés", "44160", "Pontchâteau"),
    ("PAPETERIE CENTRALE DE FRANCE", "55 boulevard Voltaire", "75011", "Paris"),
    ("TRANSPORTS ROUTIERS LEBLANC", "ZI des Érables", "01000", "Bourg-en-Bresse"),
    ("CABINET CONSEIL ARNAUD & ASSOCIÉS", "19 rue Sainte-Catherine", "33000", "Bordeaux"),
    ("SÉCURITÉ INCENDIE SERVICES", "6 impasse Pasteur", "31000", "Toulouse"),
    ("MOBILIER URBAIN DU LITTORAL", "1 port de plaisance", "17000", "La Rochelle"),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    description: str


DEMO_USERS = [
    DemoUser("mairie.bordeaux", "Claire", "Lambert", "public body: COMMUNE DE BORDEAUX - MAIRE"),
    DemoUser("fournisseur.dupont", "Paul", "Dupont", "supplier: ATELIERS DUPONT SARL"),
    DemoUser("multi.structures", "Sophie", "Bernard", "attached to the ministry and to BORDEAUX"),
    DemoUser("service.stech", "Marc", "Petit", "restricted to service STECH of BORDEAUX"),
]


def _supplier_siret(index: int) -> str:
    """Return the invented SIRET of supplier `index`; DUPONT keeps the SPEC's example."""
    if index == 0:
        return DUPONT
    siren_body = f"84{index:06d}"
    siren = siren_body + luhn.calc_check_digit(siren_body)
    nic_body = siren + "0001"
    return nic_body + luhn.calc_check_digit(nic_body)


def _upsert_named_public_bodies() -> dict[str, Structure]:
    bodies = {}
    for spec in NAMED_PUBLIC_BODIES:
        structure, _ = Structure.objects.update_or_create(
            identifier_type="SIRET",
            identifier=spec["identifier"],
            defaults={
                "designation": spec["designation"],
                "address": spec["address"],
                "postal_code": spec["postal_code"],
                "city": spec["city"],
                "is_public": True,
                "manages_services": True,
            },
        )
        for code, label in spec["services"]:
            Service.objects.update_or_create(
                structure=structure, code=code, defaults={"label": label}
            )
        bodies[spec["identifier"]] = structure
    return bodies


def _upsert_suppliers() -> list[Structure]:
    suppliers = []
    for index, (designation, address, postal_code, city) in enumerate(INVENTED_SUPPLIERS):
        structure, _ = Structure.objects.update_or_create(
            identifier_type="SIRET",
            identifier=_supplier_siret(index),
            defaults={
                "designation": designation,
                "address": address,
                "postal_code": postal_code,
                "city": city,
                "is_public": False,
            },
        )
        suppliers.append(structure)
    Service.objects.update_or_create(
        structure=suppliers[0], code="SERVICE_DEFAULT", defaults={"label": "Service par défaut"}
    )
    return suppliers


def _invoice_plan(bodies, suppliers, communes):
    """Yield (supplier, supplier service code, client, client service code) for each invoice."""
    ministry, bordeaux = bodies[MINISTRY], bodies[BORDEAUX]
    yield suppliers[0], "SERVICE_DEFAULT", bordeaux, "STECH"
    yield suppliers[0], "SERVICE_DEFAULT", ministry, "EALCPCM033"
    for supplier in suppliers[1:8]:
        yield supplier, None, bordeaux, None
    for supplier in suppliers[2:6]:
        yield supplier, None, bordeaux, "STECH"
    for supplier in suppliers[4:]:
        yield supplier, None, ministry, None
    # A public body is also a supplier: Bordeaux invoices the ministry.
    yield bordeaux, None, ministry, "EALCPCM033"
    for index, commune in enumerate(communes):
        yield suppliers[index % len(suppliers)], None, commune, None


def _create_invoices(bodies, suppliers) -> int:
    communes = list(
        Structure.objects.filter(is_public=True, is_active=True)
        .exclude(identifier__in=bodies)
        .order_by("identifier")[:20]
    )
    services = {
        (s.structure_id, s.code): s
        for s in Service.objects.filter(structure__in=[*bodies.values(), suppliers[0]])
    }
    created = 0
    first_day = datetime.date(2026, 1, 5)
    plan = _invoice_plan(bodies, suppliers, communes)
    for number, (supplier, supplier_code, client, client_code) in enumerate(plan, start=1):
        _, was_created = Invoice.objects.get_or_create(
            supplier=supplier,
            number=f"DEMO-{number:05d}",
            defaults={
                "client": client,
                "supplier_service": services.get((supplier.pk, supplier_code)),
                "client_service": services.get((client.pk, client_code)),
                "issued_on": first_day + datetime.timedelta(days=3 * number),
            },
        )
        created += was_created
    return created


def _upsert_users(bodies, suppliers) -> None:
    User = get_user_model()
    users = {}
    for demo in DEMO_USERS:
        user, _ = User.objects.update_or_create(
            username=demo.username,
            defaults={
                "first_name": demo.first_name,
                "last_name": demo.last_name,
                "email": f"{demo.username}@exemple.invalid",
                "is_active": True,
            },
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        users[demo.username] = user
    ministry, bordeaux = bodies[MINISTRY], bodies[BORDEAUX]
    stech = Service.objects.get(structure=bordeaux, code="STECH")
    attachments = [
        (users["mairie.bordeaux"], bordeaux, None),
        (users["fournisseur.dupont"], suppliers[0], None),
        (users["multi.structures"], ministry, None),
        (users["multi.structures"], bordeaux, None),
        (users["service.stech"], bordeaux, stech),
    ]
    for user, structure, service in attachments:
        Membership.objects.get_or_create(user=user, structure=structure, service=service)
    admin, _ = User.objects.update_or_create(
        username="admin",
        defaults={
            "first_name": "Alex",
            "last_name": "Admin",
            "is_staff": True,
            "is_superuser": True,
            "email": "admin@exemple.invalid",
        },
    )
    admin.set_password(DEMO_PASSWORD)
    admin.save(update_fields=["password"])


@transaction.atomic
def load_demo() -> dict[str, int]:
    """Load the whole demo set and return a few counts for the command's report."""
    report = import_directory(sorted(SAMPLE_DIR.glob("annuaire_*.csv")))
    bodies = _upsert_named_public_bodies()
    suppliers = _upsert_suppliers()
    invoices = _create_invoices(bodies, suppliers)
    partners = rebuild_partners()
    _upsert_users(bodies, suppliers)
    logger.info("Demo data loaded: %s new invoices, %s partner rows", invoices, partners)
    return {"directory": report, "invoices": invoices, "partners": partners}
