"""The audit trail: who created, modified, sent, added recipients to and deleted which message.

Entries are recorded with their author and time through the screens and the
admin, shown to the sender side on the message page and to administrators
in the admin, and never to recipients.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from messaging.forms import recipient_key
from messaging.models import Message, MessageEvent
from messaging.sending import Recipient, set_draft_recipients
from structures.models import PartnerKind
from tests.factories import (
    DraftFactory,
    MembershipFactory,
    PublicStructureFactory,
    StructureFactory,
    UserFactory,
    partners,
    sent_message,
)
from tests.security.conftest import french

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
Action = MessageEvent.Action


def _today():
    return timezone.localdate()


@pytest.fixture
def town():
    return PublicStructureFactory()


@pytest.fixture
def vendors(town):
    vendors = StructureFactory.create_batch(2)
    for vendor in vendors:
        partners(vendor, town)
    return vendors


@pytest.fixture
def author(town):
    return MembershipFactory(
        structure=town, user__first_name="Claire", user__last_name="Lambert"
    ).user


@pytest.fixture
def author_client(client, author):
    client.force_login(author)
    return client


@pytest.fixture
def admin_user():
    return UserFactory(username="admin.plateforme", is_staff=True, is_superuser=True)


def _form(town, vendors, action="save", **fields):
    data = {
        "sender": town.pk,
        "sender_service": "",
        "recipient_kind": PartnerKind.SUPPLIERS,
        "all_recipients": "False",
        "display_start": _today().isoformat(),
        "display_end": (_today() + 14 * DAY).isoformat(),
        "title": "Fermeture annuelle",
        "body": "Nos services sont fermés en février.",
        "recipients": [recipient_key(vendor.pk) for vendor in vendors],
        "siret": "",
        "form_token": "",
        "action": action,
    }
    data.update(fields)
    return data


def _events(message):
    return list(MessageEvent.objects.filter(message_reference=message.reference).order_by("pk"))


def _assert_recent(event, actor, since):
    assert event.actor == actor
    assert since <= event.at <= timezone.now()


# ---------- Through the screens ----------


def test_creating_records_author_and_time(author_client, author, town, vendors):
    since = timezone.now()

    author_client.post(reverse("messaging:message-create"), _form(town, vendors))

    message = Message.objects.get()
    [created] = _events(message)
    assert created.action == Action.CREATED
    _assert_recent(created, author, since)
    assert message.created_by == author


def test_creating_and_sending_records_both(author_client, author, town, vendors):
    author_client.post(reverse("messaging:message-create"), _form(town, vendors, "send"))

    message = Message.objects.get()
    events = _events(message)
    assert [event.action for event in events] == [Action.CREATED, Action.SENT]
    assert events[1].actor == author
    assert events[1].details == {"recipients": 2}
    assert message.sent_by == author


def test_modifying_a_draft_records_the_changed_fields(author_client, author, town, vendors):
    draft = DraftFactory(sender=town, title="Ancien titre", created_by=author)
    set_draft_recipients(draft, [Recipient(vendors[0].pk)])
    colleague = MembershipFactory(structure=town).user
    author_client.force_login(colleague)
    since = timezone.now()

    author_client.post(
        reverse("messaging:message-update", args=[draft.pk]),
        _form(
            town,
            vendors,
            title="Nouveau titre",
            display_start=draft.display_start.isoformat(),
            display_end=draft.display_end.isoformat(),
            body=draft.body,
        ),
    )

    [modified] = [event for event in _events(draft) if event.action == Action.MODIFIED]
    _assert_recent(modified, colleague, since)
    assert modified.details == {"fields": ["title", "recipients"]}


def test_changing_sent_dates_records_old_and_new(author_client, author, town, vendors):
    message = sent_message(sender=town, recipients=vendors[:1], by=author)
    new_end = message.display_end + 3 * DAY

    author_client.post(
        reverse("messaging:message-update", args=[message.pk]),
        {
            "display_start": message.display_start.isoformat(),
            "display_end": new_end.isoformat(),
            "action": "save",
        },
    )

    [modified] = [event for event in _events(message) if event.action == Action.MODIFIED]
    assert modified.actor == author
    assert modified.details == {
        "display_end": {"old": message.display_end.isoformat(), "new": new_end.isoformat()}
    }


def test_adding_recipients_records_how_many(author_client, author, town, vendors):
    message = sent_message(sender=town, recipients=vendors[:1], by=author)

    author_client.post(
        reverse("messaging:message-update", args=[message.pk]),
        {
            "display_start": message.display_start.isoformat(),
            "display_end": message.display_end.isoformat(),
            "recipients": [recipient_key(vendors[1].pk)],
            "action": "save",
        },
    )

    [added] = [event for event in _events(message) if event.action == Action.RECIPIENTS_ADDED]
    assert added.actor == author
    assert added.details == {"count": 1}


def test_deleting_a_draft_keeps_its_trail(author_client, author, town):
    draft = DraftFactory(sender=town, created_by=author)
    reference = draft.reference
    since = timezone.now()

    author_client.post(reverse("messaging:message-delete", args=[draft.pk]))

    assert not Message.objects.filter(pk=draft.pk).exists()
    [deleted] = MessageEvent.objects.filter(message_reference=reference, action=Action.DELETED)
    _assert_recent(deleted, author, since)
    assert deleted.message is None


def test_rejected_changes_record_nothing(author_client, author, town, vendors):
    message = sent_message(sender=town, recipients=vendors[:1], by=author)
    before = MessageEvent.objects.count()

    author_client.post(
        reverse("messaging:message-update", args=[message.pk]),
        {
            "display_start": message.display_start.isoformat(),
            "display_end": (_today() - DAY).isoformat(),
            "action": "save",
        },
    )
    author_client.post(reverse("messaging:message-delete", args=[message.pk]))

    assert MessageEvent.objects.count() == before


# ---------- Through the admin ----------


def _admin_form(message, **fields):
    data = {
        "sender": message.sender_id,
        "sender_service": "",
        "recipient_kind": message.recipient_kind,
        "title": message.title,
        "body": message.body,
        "display_start": message.display_start.isoformat() if message.display_start else "",
        "display_end": message.display_end.isoformat() if message.display_end else "",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
    }
    data.update(fields)
    return data


def test_admin_creation_is_recorded(client, admin_user, town):
    client.force_login(admin_user)
    since = timezone.now()

    response = client.post(
        reverse("admin:messaging_message_add"),
        _admin_form(Message(sender=town, recipient_kind=PartnerKind.SUPPLIERS), title="Admin"),
    )

    assert response.status_code == 302
    message = Message.objects.get()
    [created] = _events(message)
    assert created.action == Action.CREATED
    assert created.details == {"via": "admin"}
    _assert_recent(created, admin_user, since)
    assert message.created_by == admin_user


def test_admin_change_records_the_changed_fields(client, admin_user, town):
    draft = DraftFactory(sender=town, title="Ancien titre")
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:messaging_message_change", args=[draft.pk]),
        _admin_form(draft, title="Titre corrigé"),
    )

    assert response.status_code == 302
    [modified] = _events(draft)
    assert modified.action == Action.MODIFIED
    assert modified.actor == admin_user
    assert modified.details == {"via": "admin", "fields": ["title"]}


def test_admin_save_without_change_records_nothing(client, admin_user, town):
    draft = DraftFactory(sender=town)
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:messaging_message_change", args=[draft.pk]), _admin_form(draft)
    )

    assert response.status_code == 302
    assert _events(draft) == []


def test_admin_deletion_is_recorded(client, admin_user, town):
    draft = DraftFactory(sender=town)
    reference = draft.reference
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:messaging_message_delete", args=[draft.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    [deleted] = MessageEvent.objects.filter(message_reference=reference)
    assert deleted.action == Action.DELETED
    assert deleted.actor == admin_user
    assert deleted.details == {"via": "admin"}


def test_admin_bulk_deletion_records_each_draft(client, admin_user, town):
    drafts = DraftFactory.create_batch(3, sender=town)
    client.force_login(admin_user)

    client.post(
        reverse("admin:messaging_message_changelist"),
        {"action": "delete_selected", "_selected_action": [d.pk for d in drafts], "post": "yes"},
    )

    assert not Message.objects.exists()
    deleted = MessageEvent.objects.filter(action=Action.DELETED, actor=admin_user)
    assert sorted(deleted.values_list("message_reference", flat=True)) == sorted(
        d.reference for d in drafts
    )


# ---------- Where the trail is shown ----------


def test_message_page_shows_trail_to_sender_side(author_client, author, town, vendors):
    message = sent_message(sender=town, recipients=vendors[:1], by=author)

    response = author_client.get(reverse("messaging:message-detail", args=[message.pk]))

    content = response.content.decode()
    assert french("History") in content
    assert french("Sent") in content
    assert "Claire Lambert" in content


def test_message_page_hides_trail_from_recipients(client, author, town, vendors):
    message = sent_message(sender=town, recipients=vendors[:1], by=author)
    client.force_login(MembershipFactory(structure=vendors[0]).user)

    response = client.get(reverse("messaging:message-detail", args=[message.pk]))

    assert response.status_code == 200
    assert "Claire Lambert" not in response.content.decode()
    assert french("History") not in response.content.decode()


def test_admin_shows_trail_on_message_and_in_history(client, admin_user, author, town, vendors):
    message = sent_message(sender=town, recipients=vendors[:1], by=author)
    deleted = DraftFactory(sender=town)
    deleted_reference = deleted.reference
    client.force_login(admin_user)
    client.post(reverse("admin:messaging_message_delete", args=[deleted.pk]), {"post": "yes"})

    change = client.get(reverse("admin:messaging_message_change", args=[message.pk]))
    history = client.get(reverse("admin:messaging_messageevent_changelist"))

    assert author.username in change.content.decode()
    assert french("Sent") in change.content.decode()
    assert deleted_reference in history.content.decode()
    assert admin_user.username in history.content.decode()


def test_audit_entries_cannot_be_changed_in_admin(client, admin_user, author, town, vendors):
    message = sent_message(sender=town, recipients=vendors[:1], by=author)
    event = MessageEvent.objects.get(message=message, action=Action.SENT)
    client.force_login(admin_user)

    change = client.post(
        reverse("admin:messaging_messageevent_change", args=[event.pk]), {"action": "deleted"}
    )
    delete = client.post(
        reverse("admin:messaging_messageevent_delete", args=[event.pk]), {"post": "yes"}
    )

    assert change.status_code == 403
    assert delete.status_code == 403
    event.refresh_from_db()
    assert event.action == Action.SENT
