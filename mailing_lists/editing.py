"""Use cases of mailing lists: saving a list with its recipients."""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from mailing_lists.models import MailingList, Member
from structures.models import PartnerKind
from structures.partners import describe_recipients, missing_partners

logger = logging.getLogger(__name__)


def check_members(mailing_list, pairs) -> None:
    """Raise ValidationError naming the (structure id, service id) pairs that are not partners."""
    offenders = missing_partners(mailing_list.owner_id, mailing_list.recipient_kind, pairs)
    if not offenders:
        return
    kind = PartnerKind(mailing_list.recipient_kind).label
    text = ngettext(
        "This recipient has exchanged no invoice with the owner structure for the recipient "
        "type “%(kind)s”: %(names)s.",
        "These recipients have exchanged no invoice with the owner structure for the "
        "recipient type “%(kind)s”: %(names)s.",
        len(offenders),
    ) % {"kind": kind, "names": describe_recipients(offenders)}
    raise ValidationError({"members": text}, code="not_partner")


@transaction.atomic
def save_mailing_list(mailing_list: MailingList, pairs, *, by) -> MailingList:
    """Validate and store `mailing_list` with exactly the recipients in `pairs`.

    `pairs` contains (structure id, service id or None) tuples. A list needs
    at least one, and each must be a partner of the owner of the list's type.
    """
    pairs = list(dict.fromkeys(pairs))
    if not pairs:
        raise ValidationError({"members": _("Choose at least one recipient.")})
    mailing_list.full_clean()
    check_members(mailing_list, pairs)
    if mailing_list.pk is None:
        mailing_list.created_by = by
    mailing_list.updated_by = by
    mailing_list.save()
    _replace_members(mailing_list, pairs)
    logger.info("Mailing list %s saved with %s recipients", mailing_list.pk, len(pairs))
    return mailing_list


def _replace_members(mailing_list, pairs) -> None:
    wanted = set(pairs)
    current = Member.objects.filter(mailing_list=mailing_list)
    stale = [
        m.pk
        for m in current.only("pk", "structure_id", "service_id")
        if (m.structure_id, m.service_id) not in wanted
    ]
    Member.objects.filter(pk__in=stale).delete()
    Member.objects.bulk_create(
        [Member(mailing_list=mailing_list, structure_id=s, service_id=v) for s, v in pairs],
        ignore_conflicts=True,
        batch_size=2000,
    )
