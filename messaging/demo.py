"""Demo messages in every state: drafts, sent and displayed, future, expired.

Messages are made through the same functions as the screens use; expired
and back-dated ones then get their dates moved with a plain UPDATE, which
only demo data may do.
"""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from messaging.audit import record_event
from messaging.models import Message, MessageEvent
from messaging.sending import Recipient, send, set_draft_recipients
from structures.demo import BORDEAUX, DUPONT, MINISTRY
from structures.models import PartnerKind, Service, Structure

DAY = datetime.timedelta(days=1)


def _structure(identifier):
    return Structure.objects.get(identifier_type="SIRET", identifier=identifier)


def _user(username):
    return get_user_model().objects.get(username=username)


def _suppliers_of(structure, count, *, exclude=()):
    suppliers = Structure.objects.partners_of(structure, PartnerKind.SUPPLIERS)
    return list(suppliers.exclude(pk__in=[s.pk for s in exclude])[:count])


def _draft(sender, author, **fields):
    today = timezone.localdate()
    fields.setdefault("display_start", today)
    fields.setdefault("display_end", today + 14 * DAY)
    message = Message.objects.create(sender=sender, created_by=author, **fields)
    record_event(message, MessageEvent.Action.CREATED, by=author)
    return message


def _sent(sender, author, recipients, **fields):
    message = _draft(sender, author, **fields)
    set_draft_recipients(message, recipients)
    send(message, by=author)
    return message


def _move_dates(message, start, end):
    Message.objects.filter(pk=message.pk).update(display_start=start, display_end=end)


@transaction.atomic
def load_demo_messages() -> int:
    """Create the demo messages once; return how many were created (0 when already there)."""
    bordeaux, ministry, dupont = _structure(BORDEAUX), _structure(MINISTRY), _structure(DUPONT)
    if Message.objects.filter(sender__in=[bordeaux, ministry, dupont]).exists():
        return 0
    today = timezone.localdate()
    mairie, multi, supplier = (
        _user("mairie.bordeaux"),
        _user("multi.structures"),
        _user("fournisseur.dupont"),
    )
    stech = Service.objects.get(structure=bordeaux, code="STECH")
    dupont_service = Service.objects.get(structure=dupont, code="SERVICE_DEFAULT")
    vendors = [Recipient(s.pk) for s in _suppliers_of(bordeaux, 3, exclude=[dupont])]
    messages = [
        _sent(
            bordeaux,
            mairie,
            [Recipient(dupont.pk, dupont_service.pk), *vendors],
            recipient_kind=PartnerKind.SUPPLIERS,
            sender_service=stech,
            title="Nouveau code service STECH",
            body="Bonjour,\n\nÀ compter du 1er janvier, les factures des travaux de voirie "
            "doivent porter le code service STECH.\n\nLa direction des finances.",
        ),
        _sent(
            bordeaux,
            mairie,
            [],
            recipient_kind=PartnerKind.SUPPLIERS,
            all_recipients=True,
            title="Fermeture de fin d'année",
            body="Les services de la mairie seront fermés du 24 décembre au 2 janvier. "
            "Les factures reçues pendant cette période seront traitées à la réouverture.",
        ),
        _sent(
            ministry,
            multi,
            [],
            recipient_kind=PartnerKind.SUPPLIERS,
            all_recipients=True,
            title="Rappel : mentions obligatoires des factures",
            body="Chaque facture doit mentionner le numéro d'engagement juridique et le code "
            "service du destinataire.",
        ),
        _sent(
            dupont,
            supplier,
            [],
            recipient_kind=PartnerKind.CUSTOMERS,
            all_recipients=True,
            title="Nouvelle adresse de facturation",
            body="Nos factures seront désormais émises depuis notre site de Bègles.",
        ),
    ]
    future = _sent(
        bordeaux,
        mairie,
        vendors,
        recipient_kind=PartnerKind.SUPPLIERS,
        title="Travaux place Pey-Berland",
        display_start=today + 7 * DAY,
        display_end=today + 21 * DAY,
        body="Les livraisons seront interrompues pendant les travaux.",
    )
    expired = _sent(
        bordeaux,
        mairie,
        vendors,
        recipient_kind=PartnerKind.SUPPLIERS,
        title="Inventaire annuel",
        body="Aucune livraison ne sera acceptée pendant l'inventaire.",
    )
    _move_dates(expired, today - 40 * DAY, today - 30 * DAY)
    _move_dates(messages[0], today - 3 * DAY, today + 11 * DAY)
    drafts = [
        _draft(
            bordeaux,
            mairie,
            recipient_kind=PartnerKind.SUPPLIERS,
            title="Nouvelles coordonnées bancaires",
            body="",
        ),
        _draft(
            ministry,
            multi,
            recipient_kind=PartnerKind.SUPPLIERS,
            title="Campagne de fin de gestion",
            body="Merci d'envoyer vos dernières factures avant le 15 décembre.",
        ),
    ]
    set_draft_recipients(drafts[1], [Recipient(s.pk) for s in _suppliers_of(ministry, 2)])
    return len(messages) + len(drafts) + len([future, expired])
