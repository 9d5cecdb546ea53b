"""The New message, Modify and Delete pages, through Django's test client."""

import datetime
import threading

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from messaging.forms import recipient_key
from messaging.models import Delivery, Message, MessageEvent, MessageStatus
from messaging.sending import Recipient, set_draft_recipients
from structures.models import PartnerKind
from tests.factories import (
    DraftFactory,
    MembershipFactory,
    PublicStructureFactory,
    ServiceFactory,
    StructureFactory,
    UserFactory,
    partners,
    sent_message,
)
from tests.test_pages import parse

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _today():
    return timezone.localdate()


@pytest.fixture
def town():
    return PublicStructureFactory(designation="COMMUNE DE BORDEAUX - MAIRE")


@pytest.fixture
def vendors(town):
    vendors = [
        StructureFactory(designation="ATELIERS DUPONT SARL"),
        StructureFactory(designation="BUREAU PLUS FOURNITURES"),
    ]
    for vendor in vendors:
        partners(vendor, town)
    return vendors


@pytest.fixture
def user(town):
    return MembershipFactory(structure=town).user


@pytest.fixture
def client_en(client, user):
    """A client logged in as `user`, who chose English: messages are compared to their msgids."""
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def form_data(sender, *, recipients=(), action="save", **fields):
    """Return the POST of a complete New message form from `sender` to its suppliers."""
    data = {
        "sender": sender.pk,
        "sender_service": "",
        "recipient_kind": PartnerKind.SUPPLIERS,
        "all_recipients": "False",
        "display_start": _today().isoformat(),
        "display_end": (_today() + 14 * DAY).isoformat(),
        "title": "Fermeture annuelle",
        "body": "Nos services sont fermés du 1er au 15 février.",
        "recipients": [recipient_key(r.pk) for r in recipients],
        "siret": "",
        "form_token": "",
        "action": action,
    }
    data.update(fields)
    return data


def texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


# ---------- New message ----------


def test_new_message_page_shows_four_areas_in_order(client_en):
    response = client_en.get(reverse("messaging:message-create"))

    html = response.content.decode()
    assert response.status_code == 200
    positions = [
        html.index(f'id="message-{area}"') for area in ("sender", "recipients", "period", "content")
    ]
    assert positions == sorted(positions)
    assert 'name="form_token"' in html


def test_message_pages_have_no_inline_code(client_en, town, vendors):
    sent = sent_message(sender=town, recipients=[vendors[0]])
    draft = DraftFactory(sender=town)
    search = form_data(town, action="search", **{"search-city": "bordeaux"})
    responses = {
        "new": client_en.get(reverse("messaging:message-create")),
        "search": client_en.post(reverse("messaging:message-create"), search),
        "sent": client_en.get(reverse("messaging:message-update", args=[sent.pk])),
        "delete": client_en.get(reverse("messaging:message-delete", args=[draft.pk])),
    }

    for name, response in responses.items():
        assert response.status_code == 200, name
        assert parse(response).inline_code == [], name


def test_new_message_defaults_to_today_and_two_weeks(client_en):
    response = client_en.get(reverse("messaging:message-create"))

    form = response.context["form"]
    assert form["display_start"].value() == _today()
    assert form["display_end"].value() == _today() + 14 * DAY
    assert form["recipient_kind"].value() == PartnerKind.SUPPLIERS


def test_incomplete_draft_is_saved(client_en, town, user):
    data = form_data(town, title="", body="", display_start="", display_end="")

    response = client_en.post(reverse("messaging:message-create"), data)

    message = Message.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("messaging:outbox")
    assert message.status == MessageStatus.DRAFT
    assert message.created_by == user
    assert texts(response) == [f"Draft {message.reference} saved."]
    assert list(message.events.values_list("action", flat=True)) == ["created"]


def test_complete_message_is_sent(client_en, town, vendors, user):
    data = form_data(town, recipients=vendors, action="send")

    response = client_en.post(reverse("messaging:message-create"), data)

    message = Message.objects.get()
    assert response.status_code == 302
    assert message.status == MessageStatus.SENT
    assert message.sent_by == user
    assert set(message.deliveries.values_list("recipient_id", flat=True)) == {v.pk for v in vendors}
    assert texts(response) == [f"Message {message.reference} was sent to 2 recipients."]
    actions = list(message.events.values_list("action", flat=True))
    assert actions == ["created", "sent"]


def test_failed_send_of_new_message_keeps_nothing(client_en, town, vendors):
    data = form_data(town, recipients=vendors, action="send", title="")

    response = client_en.post(reverse("messaging:message-create"), data)

    assert response.status_code == 200
    assert "title" in response.context["form"].errors
    assert Message.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert MessageEvent.objects.count() == 0


def test_failed_send_keeps_user_input(client_en, town, vendors):
    data = form_data(town, recipients=vendors, action="send", title="", body="Texte gardé")

    response = client_en.post(reverse("messaging:message-create"), data)

    form = response.context["form"]
    assert form.instance.pk is None
    assert form["body"].value() == "Texte gardé"
    assert [chip.structure for chip in form.chips] == vendors
    assert response.context["message"] is None


def test_send_lists_every_missing_field_at_once(client_en, town):
    data = form_data(town, action="send", title="", body="", display_end="")

    response = client_en.post(reverse("messaging:message-create"), data)

    errors = response.context["form"].errors
    assert set(errors) == {"title", "body", "display_end", "recipients"}
    assert errors["recipients"] == ["Choose at least one recipient."]
    assert Message.objects.count() == 0


def test_dates_are_shown_the_french_way(client_en):
    response = client_en.get(reverse("messaging:message-create"))

    html = response.content.decode()
    assert f'value="{_today():%d/%m/%Y}"' in html
    assert 'placeholder="dd/mm/yyyy"' in html


def test_send_without_recipient_is_refused(client_en, town):
    response = client_en.post(reverse("messaging:message-create"), form_data(town, action="send"))

    assert "recipients" in response.context["form"].errors
    assert Message.objects.count() == 0


def test_non_partner_recipient_is_named(client_en, town, vendors):
    stranger = StructureFactory(designation="INCONNU SA")
    data = form_data(town, recipients=[vendors[0], stranger], action="send")

    response = client_en.post(reverse("messaging:message-create"), data)

    errors = " ".join(response.context["form"].errors["recipients"])
    assert stranger.identifier in errors
    assert "INCONNU SA" in errors
    assert vendors[0].identifier not in errors
    assert Message.objects.count() == 0


def test_non_partner_recipient_is_refused_in_draft(client_en, town):
    stranger = StructureFactory()

    response = client_en.post(
        reverse("messaging:message-create"), form_data(town, recipients=[stranger])
    )

    assert stranger.identifier in " ".join(response.context["form"].errors["recipients"])
    assert Message.objects.count() == 0


def test_private_sender_cannot_write_to_suppliers(client, town):
    vendor = StructureFactory()
    partners(vendor, town)
    client.force_login(MembershipFactory(structure=vendor).user)
    data = form_data(vendor, recipients=[town], recipient_kind=PartnerKind.SUPPLIERS, action="send")

    response = client.post(reverse("messaging:message-create"), data)

    assert "recipient_kind" in response.context["form"].errors
    assert Message.objects.count() == 0


def test_private_sender_writes_to_all_its_customers(client, town):
    vendor = StructureFactory()
    other_town = PublicStructureFactory()
    partners(vendor, town)
    partners(vendor, other_town)
    client.force_login(MembershipFactory(structure=vendor).user)
    data = form_data(
        vendor, recipient_kind=PartnerKind.CUSTOMERS, all_recipients="True", action="send"
    )

    client.post(reverse("messaging:message-create"), data)

    message = Message.objects.get()
    assert message.all_recipients is True
    assert set(message.deliveries.values_list("recipient_id", flat=True)) == {
        town.pk,
        other_town.pk,
    }


def test_typed_siret_is_included_on_send(client_en, town, vendors):
    spaced = " ".join(
        [vendors[0].identifier[:3], vendors[0].identifier[3:9], vendors[0].identifier[9:]]
    )
    data = form_data(town, action="send", siret=spaced)

    client_en.post(reverse("messaging:message-create"), data)

    assert Message.objects.get().deliveries.get().recipient == vendors[0]


def test_forged_sender_is_refused(client_en, vendors):
    other_town = PublicStructureFactory()
    partners(vendors[0], other_town)

    response = client_en.post(
        reverse("messaging:message-create"), form_data(other_town, recipients=[vendors[0]])
    )

    assert "sender" in response.context["form"].errors
    assert Message.objects.count() == 0


def test_forged_service_of_another_structure_is_refused(client_en, town):
    foreign = ServiceFactory()

    response = client_en.post(
        reverse("messaging:message-create"), form_data(town, sender_service=foreign.pk)
    )

    assert "sender_service" in response.context["form"].errors
    assert Message.objects.count() == 0


def test_forged_recipient_service_of_another_structure_is_refused(client_en, town, vendors):
    foreign = ServiceFactory()
    key = recipient_key(vendors[0].pk, foreign.pk)

    response = client_en.post(
        reverse("messaging:message-create"), form_data(town, recipients=[]) | {"recipients": [key]}
    )

    assert "recipients" in response.context["form"].errors
    assert Message.objects.count() == 0


def test_double_send_of_new_message_sends_once(client_en, town, vendors):
    data = form_data(town, recipients=vendors, action="send", form_token="a1b2c3")
    url = reverse("messaging:message-create")

    client_en.post(url, data)
    response = client_en.post(url, data)

    message = Message.objects.get()
    assert response.status_code == 302
    assert message.deliveries.count() == 2
    assert message.events.filter(action=MessageEvent.Action.SENT).count() == 1
    assert texts(response)[-1] == f"Message {message.reference} has already been sent."


def test_second_save_of_new_message_updates_the_draft(client_en, town):
    url = reverse("messaging:message-create")
    client_en.post(url, form_data(town, form_token="token-1", title="Premier"))

    client_en.post(url, form_data(town, form_token="token-1", title="Second"))

    assert Message.objects.get().title == "Second"


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_parallel_double_send_creates_one_message(town, vendors, user):
    data = form_data(town, recipients=vendors, action="send", form_token="parallel")
    barrier = threading.Barrier(2)
    statuses, errors = [], []

    def submit():
        try:
            client = Client()
            client.force_login(user)
            barrier.wait()
            statuses.append(client.post(reverse("messaging:message-create"), data).status_code)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert statuses == [302, 302]
    assert Message.objects.count() == 1
    assert MessageEvent.objects.filter(action=MessageEvent.Action.SENT).count() == 1


# ---------- Buttons that rebuild the page ----------


def test_add_button_adds_a_chip_and_saves_nothing(client_en, town, vendors):
    dotted = ".".join([vendors[1].identifier[:9], vendors[1].identifier[9:]])
    data = form_data(town, recipients=[vendors[0]], action="add", siret=dotted)

    response = client_en.post(reverse("messaging:message-create"), data)

    form = response.context["form"]
    assert response.status_code == 200
    assert [chip.structure for chip in form.chips] == vendors
    assert form["siret"].value() == ""
    assert Message.objects.count() == 0


def test_add_button_names_unknown_identifier(client_en, town):
    stranger = StructureFactory()
    data = form_data(town, action="add", siret=stranger.identifier)

    response = client_en.post(reverse("messaging:message-create"), data)

    errors = response.context["form"].errors["siret"]
    assert errors == [
        f"No supplier of the sender structure has the identifier {stranger.identifier}."
    ]


def test_add_button_reports_wrong_checksum(client_en, town):
    data = form_data(town, action="add", siret="21330063500018")

    response = client_en.post(reverse("messaging:message-create"), data)

    assert "check digit" in " ".join(response.context["form"].errors["siret"])


def test_remove_button_drops_the_chip(client_en, town, vendors):
    data = form_data(town, recipients=vendors)
    del data["action"]
    data["remove"] = recipient_key(vendors[0].pk, None, "search")

    response = client_en.post(reverse("messaging:message-create"), data)

    assert [chip.structure for chip in response.context["form"].chips] == [vendors[1]]
    assert Message.objects.count() == 0


def test_search_button_lists_partners(client_en, town, vendors):
    data = form_data(town, action="search", **{"search-designation": "dupont"})

    response = client_en.post(reverse("messaging:message-create"), data)

    rows = response.context["search"]["rows"]
    assert [row.partner.partner for row in rows] == [vendors[0]]
    assert 'name="pick"' in response.content.decode()
    assert Message.objects.count() == 0


def test_post_without_action_saves_nothing(client_en, town, vendors):
    data = form_data(town, recipients=vendors)
    del data["action"]

    response = client_en.post(reverse("messaging:message-create"), data)

    assert response.status_code == 200
    assert Message.objects.count() == 0


def test_add_selection_adds_chips(client_en, town, vendors):
    data = form_data(town, action="add_selected")
    data["pick"] = [recipient_key(v.pk, None, "search") for v in vendors]

    response = client_en.post(reverse("messaging:message-create"), data)

    chips = response.context["form"].chips
    assert [chip.structure for chip in chips] == vendors
    assert {chip.recipient.source for chip in chips} == {"search"}


# ---------- Modify a draft ----------


@pytest.fixture
def draft(town, vendors, user):
    message = DraftFactory(sender=town, created_by=user)
    set_draft_recipients(message, [Recipient(vendors[0].pk)])
    return message


def test_draft_form_shows_its_recipients(client_en, draft, vendors):
    response = client_en.get(reverse("messaging:message-update", args=[draft.pk]))

    assert response.status_code == 200
    assert [chip.structure for chip in response.context["form"].chips] == [vendors[0]]


def test_draft_changes_are_saved_and_recorded(client_en, draft, town, vendors):
    data = form_data(town, recipients=vendors, title="Nouveau titre")

    client_en.post(reverse("messaging:message-update", args=[draft.pk]), data)

    draft.refresh_from_db()
    assert draft.title == "Nouveau titre"
    assert draft.deliveries.count() == 2
    event = draft.events.get(action=MessageEvent.Action.MODIFIED)
    assert set(event.details["fields"]) >= {"title", "recipients"}


def test_draft_is_sent_from_modify_page(client_en, draft, town, vendors):
    data = form_data(town, recipients=vendors, action="send")

    client_en.post(reverse("messaging:message-update", args=[draft.pk]), data)

    draft.refresh_from_db()
    assert draft.status == MessageStatus.SENT
    assert draft.deliveries.count() == 2


def test_failed_send_of_draft_changes_nothing(client_en, draft, town, vendors):
    data = form_data(town, recipients=vendors, action="send", title="Titre perdu", body="")

    response = client_en.post(reverse("messaging:message-update", args=[draft.pk]), data)

    draft.refresh_from_db()
    assert response.status_code == 200
    assert draft.status == MessageStatus.DRAFT
    assert draft.title != "Titre perdu"
    assert draft.deliveries.count() == 1


def test_double_send_of_draft_sends_once(client_en, draft, town, vendors):
    url = reverse("messaging:message-update", args=[draft.pk])
    data = form_data(town, recipients=vendors, action="send")

    client_en.post(url, data)
    response = client_en.post(url, data)

    assert response.status_code == 302
    assert texts(response)[-1] == f"Message {draft.reference} has already been sent."
    assert draft.events.filter(action=MessageEvent.Action.SENT).count() == 1


def test_old_draft_keeps_its_past_start_date(client_en, town, user):
    draft = DraftFactory(sender=town, display_start=_today() - 3 * DAY)

    client_en.post(
        reverse("messaging:message-update", args=[draft.pk]),
        form_data(town, display_start=draft.display_start.isoformat(), title="Relu"),
    )

    draft.refresh_from_db()
    assert draft.title == "Relu"


# ---------- Modify a sent message ----------


@pytest.fixture
def sent(town, vendors, user):
    return sent_message(sender=town, recipients=[vendors[0]], created_by=user)


def sent_data(message, **fields):
    data = {
        "display_start": message.display_start.isoformat(),
        "display_end": message.display_end.isoformat(),
        "recipients": [],
        "siret": "",
        "action": "save",
    }
    data.update(fields)
    return data


def test_sent_message_form_locks_content(client_en, sent):
    response = client_en.get(reverse("messaging:message-update", args=[sent.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert sent.title in html
    assert 'name="title"' not in html
    assert 'name="body"' not in html
    assert 'name="sender"' not in html
    assert 'value="send"' not in html


def test_sent_end_date_changes(client_en, sent):
    new_end = sent.display_end + 10 * DAY

    response = client_en.post(
        reverse("messaging:message-update", args=[sent.pk]),
        sent_data(sent, display_end=new_end.isoformat()),
    )

    old_end = sent.display_end
    sent.refresh_from_db()
    assert response.status_code == 302
    assert sent.display_end == new_end
    event = sent.events.get(action=MessageEvent.Action.MODIFIED)
    assert event.details == {
        "display_end": {"old": old_end.isoformat(), "new": new_end.isoformat()}
    }
    assert texts(response) == [f"Message {sent.reference} modified."]


def test_sent_end_date_cannot_be_before_today(client_en, town, vendors):
    message = sent_message(
        sender=town,
        recipients=[vendors[0]],
        display_start=_today(),
        display_end=_today() + 5 * DAY,
    )
    past = _today() - DAY

    response = client_en.post(
        reverse("messaging:message-update", args=[message.pk]),
        sent_data(message, display_end=past.isoformat()),
    )

    assert response.status_code == 200
    assert "display_end" in response.context["form"].errors


def test_started_message_start_date_is_locked(client_en, sent):
    response = client_en.post(
        reverse("messaging:message-update", args=[sent.pk]),
        sent_data(sent, display_start=(_today() + 2 * DAY).isoformat()),
    )

    sent.refresh_from_db()
    assert response.status_code == 302
    assert sent.display_start == _today()


def test_future_start_date_can_move(client_en, town, vendors):
    message = sent_message(
        sender=town,
        recipients=[vendors[0]],
        display_start=_today() + 5 * DAY,
        display_end=_today() + 20 * DAY,
    )
    new_start = _today() + 2 * DAY

    client_en.post(
        reverse("messaging:message-update", args=[message.pk]),
        sent_data(message, display_start=new_start.isoformat()),
    )

    message.refresh_from_db()
    assert message.display_start == new_start


def test_future_start_date_cannot_move_to_the_past(client_en, town, vendors):
    message = sent_message(
        sender=town,
        recipients=[vendors[0]],
        display_start=_today() + 5 * DAY,
        display_end=_today() + 20 * DAY,
    )

    response = client_en.post(
        reverse("messaging:message-update", args=[message.pk]),
        sent_data(message, display_start=(_today() - DAY).isoformat()),
    )

    assert "display_start" in response.context["form"].errors


def test_forged_content_fields_are_ignored(client_en, sent, vendors):
    other_town = PublicStructureFactory()
    MembershipFactory(user=sent.created_by, structure=other_town)
    forged = sent_data(
        sent,
        title="Titre piraté",
        body="Corps piraté",
        sender=other_town.pk,
        recipient_kind=PartnerKind.CUSTOMERS,
        all_recipients="True",
    )

    client_en.post(reverse("messaging:message-update", args=[sent.pk]), forged)

    stored = Message.objects.get(pk=sent.pk)
    assert stored.title == sent.title
    assert stored.body == sent.body
    assert stored.sender == sent.sender
    assert stored.recipient_kind == PartnerKind.SUPPLIERS
    assert stored.all_recipients is False


def test_new_recipients_are_added_to_sent_message(client_en, sent, vendors):
    data = sent_data(sent, recipients=[recipient_key(vendors[1].pk, None, "search")])

    response = client_en.post(reverse("messaging:message-update", args=[sent.pk]), data)

    assert response.status_code == 302
    assert set(sent.deliveries.values_list("recipient_id", flat=True)) == {v.pk for v in vendors}
    assert sent.deliveries.get(recipient=vendors[1]).source == "search"
    assert sent.events.filter(action=MessageEvent.Action.RECIPIENTS_ADDED).count() == 1
    assert texts(response) == [f"1 recipient added to message {sent.reference}."]


def test_non_partner_cannot_be_added_to_sent_message(client_en, sent):
    stranger = StructureFactory(designation="INCONNU SA")
    data = sent_data(sent, recipients=[recipient_key(stranger.pk)])

    response = client_en.post(reverse("messaging:message-update", args=[sent.pk]), data)

    assert "INCONNU SA" in " ".join(response.context["form"].errors["recipients"])
    assert sent.deliveries.count() == 1


def test_existing_recipient_typed_again_is_reported(client_en, sent, vendors):
    data = sent_data(sent, action="add", siret=vendors[0].identifier)

    response = client_en.post(reverse("messaging:message-update", args=[sent.pk]), data)

    assert "already receives this message" in " ".join(response.context["form"].errors["siret"])


def test_send_button_on_sent_message_only_informs(client_en, sent):
    response = client_en.post(
        reverse("messaging:message-update", args=[sent.pk]), sent_data(sent, action="send")
    )

    assert response.status_code == 302
    assert texts(response) == [f"Message {sent.reference} has already been sent."]


@pytest.mark.parametrize("method", ["get", "post"])
def test_expired_message_is_not_modifiable(client_en, sent, method):
    Message.objects.filter(pk=sent.pk).update(
        display_start=_today() - 20 * DAY, display_end=_today() - DAY
    )
    url = reverse("messaging:message-update", args=[sent.pk])

    response = getattr(client_en, method)(url, sent_data(sent) if method == "post" else None)

    assert response.status_code == 302
    assert response.url == reverse("messaging:message-detail", args=[sent.pk])
    assert texts(response) == [
        "This message can no longer be modified: its display period has ended."
    ]


def test_expired_message_refusal_in_french(client, user, sent):
    Message.objects.filter(pk=sent.pk).update(
        display_start=_today() - 20 * DAY, display_end=_today() - DAY
    )
    client.force_login(user)

    response = client.get(reverse("messaging:message-update", args=[sent.pk]))

    assert texts(response) == [
        "Ce message n'est plus modifiable : sa période d'affichage est terminée."
    ]


# ---------- Delete ----------


def test_draft_delete_asks_confirmation(client_en, draft):
    response = client_en.get(reverse("messaging:message-delete", args=[draft.pk]))

    assert response.status_code == 200
    assert draft.reference in response.content.decode()
    assert Message.objects.filter(pk=draft.pk).exists()


def test_draft_is_deleted(client_en, draft):
    reference = draft.reference

    response = client_en.post(reverse("messaging:message-delete", args=[draft.pk]))

    assert response.status_code == 302
    assert response.url == reverse("messaging:outbox")
    assert not Message.objects.filter(pk=draft.pk).exists()
    event = MessageEvent.objects.get(action=MessageEvent.Action.DELETED)
    assert event.message_reference == reference
    assert texts(response) == [f"Draft {reference} deleted."]


@pytest.mark.parametrize("method", ["get", "post"])
def test_sent_message_is_not_deleted(client_en, sent, method):
    response = getattr(client_en, method)(reverse("messaging:message-delete", args=[sent.pk]))

    assert response.status_code == 302
    assert response.url == reverse("messaging:message-detail", args=[sent.pk])
    assert Message.objects.filter(pk=sent.pk).exists()
    assert texts(response) == ["A sent message cannot be deleted."]


# ---------- Scope: out of scope is 404 ----------


def _outsider_of_structure(town):
    return MembershipFactory(structure=PublicStructureFactory()).user


def _user_of_other_service(town):
    service = ServiceFactory(structure=town, code="FINANCES")
    return MembershipFactory(structure=town, service=service).user


OUTSIDERS = [
    pytest.param(_outsider_of_structure, id="other_structure"),
    pytest.param(_user_of_other_service, id="other_service"),
]
VIEWS = ["messaging:message-update", "messaging:message-delete"]


@pytest.mark.parametrize("outsider", OUTSIDERS)
@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_draft_of_another_scope_is_404(client, town, outsider, view, method):
    stech = ServiceFactory(structure=town, code="STECH")
    draft = DraftFactory(sender=town, sender_service=stech)
    client.force_login(outsider(town))

    response = getattr(client, method)(reverse(view, args=[draft.pk]))

    assert response.status_code == 404
    assert Message.objects.filter(pk=draft.pk, title=draft.title).exists()


@pytest.mark.parametrize("outsider", OUTSIDERS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_sent_message_of_another_scope_is_404(client, town, vendors, outsider, method):
    stech = ServiceFactory(structure=town, code="STECH")
    message = sent_message(sender=town, sender_service=stech, recipients=[vendors[0]])
    client.force_login(outsider(town))
    data = sent_data(message, display_end=(_today() + 60 * DAY).isoformat())

    response = getattr(client, method)(
        reverse("messaging:message-update", args=[message.pk]), data if method == "post" else None
    )

    message.refresh_from_db()
    assert response.status_code == 404
    assert message.display_end == _today() + 14 * DAY


def test_service_user_modifies_own_service_message(client, town, vendors):
    stech = ServiceFactory(structure=town, code="STECH")
    draft = DraftFactory(sender=town, sender_service=stech)
    client.force_login(MembershipFactory(structure=town, service=stech).user)

    response = client.get(reverse("messaging:message-update", args=[draft.pk]))

    assert response.status_code == 200


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(reverse("messaging:message-create"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_user_without_structure_gets_an_empty_choice(client):
    client.force_login(UserFactory())

    response = client.get(reverse("messaging:message-create"))

    assert response.status_code == 200
