"""Demo mailing lists of Bordeaux and of the supplier Dupont, saved as the screens save them."""

from django.contrib.auth import get_user_model
from django.db import transaction

from mailing_lists.editing import save_mailing_list
from mailing_lists.models import MailingList
from structures.demo import BORDEAUX, DUPONT, MINISTRY
from structures.models import PartnerKind, Service, Structure


def _structure(identifier):
    return Structure.objects.get(identifier_type="SIRET", identifier=identifier)


def _user(username):
    return get_user_model().objects.get(username=username)


def _partners(structure, kind, count, *, exclude=()):
    partners = Structure.objects.partners_of(structure, kind).exclude(pk__in=exclude)
    return [(partner.pk, None) for partner in partners.order_by("designation")[:count]]


def _save(owner, name, kind, pairs, *, by, owner_service=None) -> bool:
    """Save the list unless the owner already has one of this name; return whether it was new."""
    if MailingList.objects.filter(owner=owner, name__iexact=name).exists():
        return False
    mailing_list = MailingList(
        owner=owner, owner_service=owner_service, name=name, recipient_kind=kind
    )
    save_mailing_list(mailing_list, pairs, by=by)
    return True


@transaction.atomic
def load_demo_lists() -> int:
    """Create the demo lists that do not exist yet; return how many were created."""
    bordeaux, ministry, dupont = _structure(BORDEAUX), _structure(MINISTRY), _structure(DUPONT)
    stech = Service.objects.get(structure=bordeaux, code="STECH")
    dupont_service = Service.objects.get(structure=dupont, code="SERVICE_DEFAULT")
    ministry_service = Service.objects.get(structure=ministry, code="EALCPCM033")
    mairie, technician = _user("mairie.bordeaux"), _user("service.stech")
    supplier = _user("fournisseur.dupont")
    suppliers, customers = PartnerKind.SUPPLIERS, PartnerKind.CUSTOMERS
    created = [
        _save(
            bordeaux,
            "Fournisseurs voirie",
            suppliers,
            _partners(bordeaux, suppliers, 3, exclude=[dupont.pk]),
            by=mairie,
        ),
        _save(
            bordeaux,
            "Prestataires des services techniques",
            suppliers,
            [
                (dupont.pk, dupont_service.pk),
                *_partners(bordeaux, suppliers, 2, exclude=[dupont.pk]),
            ],
            by=technician,
            owner_service=stech,
        ),
        _save(
            bordeaux,
            "Administrations clientes",
            customers,
            [(ministry.pk, ministry_service.pk)],
            by=mairie,
        ),
        _save(
            dupont,
            "Clients publics",
            customers,
            [(bordeaux.pk, stech.pk), (ministry.pk, None)],
            by=supplier,
        ),
    ]
    return sum(created)
