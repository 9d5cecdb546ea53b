"""Mailing lists in the message form: picker, drafts, sending, a sent message's Modify page."""

import datetime
import html
import re

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from mailing_lists.editing import save_mailing_list
from mailing_lists.models import MailingList
from messaging.forms import recipient_key
from messaging.models import Delivery, DeliverySource, Message, MessageStatus
from messaging.sending import Recipient, send, set_draft_recipients
from structures.models import PartnerKind
from tests.factories import (
    DraftFactory,
    MembershipFactory,
    PublicStructureFactory,
    ServiceFactory,
    StructureFactory,
    partners,
)
from tests.test_pages import parse

pytestmark = pytest.mark.django_db

CREATE = reverse("messaging:message-create")
DAY = datetime.timedelta(days=1)


def make_list(owner, members, *, name, kind=PartnerKind.SUPPLIERS, **fields):
    mailing_list = MailingList(owner=owner, name=name, recipient_kind=kind, **fields)
    return save_mailing_list(mailing_list, [(m.pk, None) for m in members], by=None)


@pytest.fixture
def town():
    return PublicStructureFactory(designation="COMMUNE DE BORDEAUX - MAIRE")


@pytest.fixture
def vendors(town):
    vendors = StructureFactory.create_batch(4)
    for vendor in vendors:
        partners(vendor, town)
    return vendors


@pytest.fixture
def user(town):
    return MembershipFactory(structure=town).user


@pytest.fixture
def client_en(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def first_list(town, vendors):
    return make_list(town, vendors[:3], name="Voirie")


@pytest.fixture
def second_list(town, vendors):
    return make_list(town, vendors[1:], name="Espaces verts")


def form_data(sender, *, lists=(), recipients=(), action="save", **fields):
    today = timezone.localdate()
    data = {
        "sender": sender.pk,
        "sender_service": "",
        "recipient_kind": PartnerKind.SUPPLIERS,
        "all_recipients": "False",
        "mailing_lists": [m.pk for m in lists],
        "display_start": today.isoformat(),
        "display_end": (today + 14 * DAY).isoformat(),
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


def delivered(message):
    return sorted(Delivery.objects.filter(message=message).values_list("recipient_id", flat=True))


# ---------- The picker ----------


def test_picker_offers_the_users_lists(client_en, town, vendors, first_list):
    other = PublicStructureFactory()
    partners(vendors[0], other)
    foreign = make_list(other, vendors[:1], name="Liste étrangère")

    response = client_en.get(CREATE)

    page = html.unescape(response.content.decode())
    offered = list(response.context["form"].fields["mailing_lists"].queryset)
    assert offered == [first_list]
    assert "Voirie" in page
    assert "(3 recipients)" in page
    assert foreign.name not in page
    assert f'data-owner="{town.pk}"' in page
    assert 'data-kind="suppliers"' in page
    assert parse(response).inline_code == []


def test_picker_areas_are_in_the_recipients_section(client_en, first_list):
    page = client_en.get(CREATE).content.decode()

    recipients = page.index('id="message-recipients"')
    period = page.index('id="message-period"')
    assert recipients < page.index("data-list-picker") < period


def test_service_user_is_offered_its_service_lists_only(client, town, vendors):
    stech = ServiceFactory(structure=town, code="STECH")
    mine = make_list(town, vendors, name="Techniques", owner_service=stech)
    make_list(town, vendors, name="Toute la mairie")
    client.force_login(MembershipFactory(structure=town, service=stech).user)

    form = client.get(CREATE).context["form"]

    assert list(form.fields["mailing_lists"].queryset) == [mine]


def test_picker_without_lists_says_so(client_en):
    page = client_en.get(CREATE).content.decode()

    assert "You have no mailing list yet" in page


# ---------- Drafts ----------


def test_draft_keeps_its_lists(client_en, town, first_list, second_list):
    response = client_en.post(CREATE, form_data(town, lists=[first_list, second_list]))

    message = Message.objects.get()
    assert response.status_code == 302
    assert set(message.mailing_lists.all()) == {first_list, second_list}
    assert not message.deliveries.exists()


def test_reopened_draft_has_its_lists_checked(client_en, town, first_list):
    draft = DraftFactory(sender=town)
    draft.mailing_lists.add(first_list)

    response = client_en.get(reverse("messaging:message-update", args=[draft.pk]))

    assert list(response.context["form"]["mailing_lists"].value()) == [first_list.pk]
    checkbox = f'<input type="checkbox" name="mailing_lists" value="{first_list.pk}"[^>]*checked'
    assert re.search(checkbox, response.content.decode())


def test_draft_lists_can_be_unchosen(client_en, town, first_list):
    draft = DraftFactory(sender=town)
    draft.mailing_lists.add(first_list)

    client_en.post(reverse("messaging:message-update", args=[draft.pk]), form_data(town))

    assert not draft.mailing_lists.exists()


def test_list_of_another_recipient_type_is_field_error(client_en, town):
    customer = PublicStructureFactory()
    partners(town, customer)
    customers = make_list(town, [customer], name="Clients", kind=PartnerKind.CUSTOMERS)

    response = client_en.post(CREATE, form_data(town, lists=[customers]))

    errors = response.context["form"].errors["mailing_lists"]
    assert response.status_code == 200
    assert "Clients" in errors[0]
    assert not Message.objects.exists()


def test_list_of_other_sender_is_error(client, town, vendors, user):
    other = PublicStructureFactory()
    MembershipFactory(user=user, structure=other)
    partners(vendors[0], other)
    others = make_list(other, vendors[:1], name="Autre mairie")
    client.force_login(user)

    response = client.post(CREATE, form_data(town, lists=[others]))

    assert "mailing_lists" in response.context["form"].errors
    assert not Message.objects.exists()


@pytest.mark.parametrize("action", ["save", "send"])
def test_forged_list_of_another_structure_is_rejected(client_en, town, vendors, action):
    other = PublicStructureFactory()
    partners(vendors[0], other)
    foreign = make_list(other, vendors[:1], name="Liste étrangère")
    data = form_data(town, recipients=vendors[1:2], action=action)
    data["mailing_lists"] = [foreign.pk]

    response = client_en.post(CREATE, data)

    assert response.status_code == 200
    assert "mailing_lists" in response.context["form"].errors
    assert not Message.objects.exists()
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("forged", ["abc", "-1", "99999999999999999999", "1.5"])
def test_malformed_list_id_is_rejected(client_en, town, forged):
    data = form_data(town)
    data["mailing_lists"] = [forged]

    response = client_en.post(CREATE, data)

    assert response.status_code == 200
    assert "mailing_lists" in response.context["form"].errors


def test_forged_list_of_another_service_is_rejected(client, town, vendors):
    stech = ServiceFactory(structure=town, code="STECH")
    finances = ServiceFactory(structure=town, code="FINANCES")
    theirs = make_list(town, vendors, name="Finances", owner_service=finances)
    client.force_login(MembershipFactory(structure=town, service=stech).user)

    data = form_data(town, lists=[theirs], sender_service=stech.pk, action="send")
    response = client.post(CREATE, data)

    assert "mailing_lists" in response.context["form"].errors
    assert not Delivery.objects.exists()


# ---------- Sending ----------


def test_overlapping_lists_deliver_once(client_en, town, vendors, first_list, second_list):
    data = form_data(town, lists=[first_list, second_list], recipients=vendors[:1], action="send")

    response = client_en.post(CREATE, data)

    message = Message.objects.get()
    assert response.status_code == 302
    assert message.status == MessageStatus.SENT
    assert delivered(message) == sorted(v.pk for v in vendors)
    assert texts(response) == [f"Message {message.reference} was sent to 4 recipients."]
    sources = dict(message.deliveries.values_list("recipient_id", "source"))
    assert sources[vendors[0].pk] == DeliverySource.TYPED
    assert sources[vendors[3].pk] == DeliverySource.MAILING_LIST


def test_send_with_only_a_list(client_en, town, vendors, first_list):
    response = client_en.post(CREATE, form_data(town, lists=[first_list], action="send"))

    message = Message.objects.get()
    assert response.status_code == 302
    assert delivered(message) == sorted(v.pk for v in vendors[:3])


def test_list_member_no_longer_partner_blocks_the_send(client_en, town, vendors, first_list):
    town.partner_links.filter(partner=vendors[2]).delete()

    response = client_en.post(CREATE, form_data(town, lists=[first_list], action="send"))

    errors = response.context["form"].errors["recipients"]
    assert response.status_code == 200
    assert vendors[2].identifier in errors[0]
    assert vendors[2].designation in errors[0]
    assert vendors[0].identifier not in errors[0]
    assert not Message.objects.exists()
    assert not Delivery.objects.exists()
    assert "could not be saved" in response.content.decode()


def test_send_uses_members_at_sending(client_en, town, vendors, first_list):
    draft = DraftFactory(sender=town)
    draft.mailing_lists.add(first_list)
    save_mailing_list(first_list, [(vendors[3].pk, None)], by=None)
    url = reverse("messaging:message-update", args=[draft.pk])

    client_en.post(url, form_data(town, lists=[first_list], action="send"))

    assert delivered(draft) == [vendors[3].pk]


# ---------- A sent message's Modify page ----------


@pytest.fixture
def sent(town, vendors):
    message = DraftFactory(sender=town)
    set_draft_recipients(message, [Recipient(vendors[0].pk)])
    send(message, by=None)
    return message


def sent_data(message, *, lists=(), **fields):
    data = {
        "display_start": message.display_start.isoformat(),
        "display_end": message.display_end.isoformat(),
        "mailing_lists": [m.pk for m in lists],
        "siret": "",
        "action": "save",
    }
    data.update(fields)
    return data


def test_sent_message_offers_usable_lists_only(client_en, town, vendors, sent, first_list):
    customer = PublicStructureFactory()
    partners(town, customer)
    make_list(town, [customer], name="Clients", kind=PartnerKind.CUSTOMERS)

    response = client_en.get(reverse("messaging:message-update", args=[sent.pk]))

    assert list(response.context["form"].fields["mailing_lists"].queryset) == [first_list]
    assert parse(response).inline_code == []


def test_sent_message_receives_a_list(client_en, sent, vendors, first_list):
    url = reverse("messaging:message-update", args=[sent.pk])

    response = client_en.post(url, sent_data(sent, lists=[first_list]))

    assert response.status_code == 302
    assert delivered(sent) == sorted(v.pk for v in vendors[:3])
    assert list(sent.mailing_lists.all()) == [first_list]
    assert texts(response) == [f"2 recipients added to message {sent.reference}."]


def test_sent_message_rejects_a_list_of_another_type(client_en, town, sent):
    customer = PublicStructureFactory()
    partners(town, customer)
    customers = make_list(town, [customer], name="Clients", kind=PartnerKind.CUSTOMERS)
    url = reverse("messaging:message-update", args=[sent.pk])

    response = client_en.post(url, sent_data(sent, lists=[customers]))

    assert "mailing_lists" in response.context["form"].errors
    assert delivered(sent) == [sent.deliveries.get().recipient_id]


def test_sent_message_names_former_partner(client_en, town, sent, vendors):
    mailing_list = make_list(town, vendors[1:3], name="Voirie")
    town.partner_links.filter(partner=vendors[2]).delete()
    url = reverse("messaging:message-update", args=[sent.pk])

    response = client_en.post(url, sent_data(sent, lists=[mailing_list]))

    assert vendors[2].identifier in response.context["form"].errors["recipients"][0]
    assert sent.deliveries.count() == 1
    assert not sent.mailing_lists.exists()


def test_detail_page_names_the_lists_used(client_en, town, first_list, second_list):
    client_en.post(CREATE, form_data(town, lists=[first_list, second_list], action="send"))
    message = Message.objects.get()

    page = client_en.get(reverse("messaging:message-detail", args=[message.pk])).content.decode()

    assert "Espaces verts, Voirie" in html.unescape(page)


def test_detail_without_list_shows_dash(client_en, sent):
    page = client_en.get(reverse("messaging:message-detail", args=[sent.pk])).content.decode()

    assert "<dt>Mailing lists</dt>\n  <dd>—</dd>" in page
