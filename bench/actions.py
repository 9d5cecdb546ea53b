"""Scenarios of domain functions: sending to all recipients, adding recipients.

Each scenario is a `prepare` function that makes a fresh subject and an
`act` function that runs the use case on it and returns how many rows it
wrote. The runner calls both inside a transaction that it rolls back, so
the data set stays as generated.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from bench.national import MINISTRY_USERNAME
from bench.scenarios import _structure_of, _user
from messaging.models import Delivery, Message, MessageStatus
from messaging.sending import Recipient, add_recipients, send
from structures.models import Partner, PartnerKind

ADDED_RECIPIENTS = 1_000


@dataclass(frozen=True)
class Action:
    name: str
    description: str
    prepare: Any
    act: Any


def national_actions() -> list[Action]:
    """Return the domain-function scenarios of the national data set."""
    user = _user(MINISTRY_USERNAME)
    ministry = _structure_of(MINISTRY_USERNAME)
    return [_send_to_all(user, ministry), _add_recipients(user, ministry)]


def _send_to_all(user, ministry) -> Action:
    suppliers = Partner.objects.filter(
        structure=ministry, kind=PartnerKind.SUPPLIERS, partner_service__isnull=True
    ).count()

    def prepare():
        today = timezone.localdate()
        return Message.objects.create(
            sender=ministry,
            recipient_kind=PartnerKind.SUPPLIERS,
            all_recipients=True,
            title="Fermeture annuelle du service facturier",
            body="Le service facturier sera fermé du 24 décembre au 2 janvier.",
            display_start=today,
            display_end=today + datetime.timedelta(days=14),
            created_by=user,
        )

    def act(message):
        send(message, by=user)
        return Delivery.objects.filter(message=message).count()

    return Action(
        "send_all_recipients",
        f"send() to all {suppliers:,} suppliers of the ministry",
        prepare,
        act,
    )


def _add_recipients(user, ministry) -> Action:
    today = timezone.localdate()
    message = (
        Message.objects.filter(
            sender=ministry,
            status=MessageStatus.SENT,
            all_recipients=False,
            display_start__lte=today,
            display_end__gte=today,
        )
        .order_by("-pk")
        .first()
    )
    chosen = Delivery.objects.filter(message=message).values("recipient_id")
    new = list(
        Partner.objects.filter(
            structure=ministry, kind=PartnerKind.SUPPLIERS, partner_service__isnull=True
        )
        .exclude(partner_id__in=chosen)
        .order_by("partner_id")
        .values_list("partner_id", flat=True)[:ADDED_RECIPIENTS]
    )
    recipients = [Recipient(structure_id) for structure_id in new]

    def prepare():
        return message

    def act(subject):
        return add_recipients(subject, recipients, by=user)

    return Action(
        "add_recipients",
        f"add_recipients() of {len(recipients):,} suppliers to sent message {message.reference}",
        prepare,
        act,
    )
