"""Who may do what: every URL, method and actor, with the expected status and no leak.

Each row names a URL and a method, and maps each actor to its expected status.
Anonymous visitors, and users deactivated after they logged in, are sent
to the login page. Everything that belongs to another structure, or to
another service of the same structure, is a 404 that looks exactly like the
404 of a reference that never existed.
"""

import datetime
import html
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.contrib.admin.sites import site as admin_site
from django.urls import reverse
from django.utils import timezone

from messaging.forms import recipient_key
from messaging.models import Message
from structures.models import PartnerKind, Structure
from tests.factories import DraftFactory, MembershipFactory, PublicStructureFactory, partners
from tests.security.conftest import (
    ACTORS,
    build_world,
    client_for,
    comparable_page,
    reverse_or_skip,
    row_counts,
)

pytestmark = pytest.mark.django_db

# Redirects to the site's login page and to the admin's login page.
LOGIN = "login"
ADMIN_LOGIN = "admin login"


def app_statuses(logged_in, **overrides) -> dict:
    """Return the statuses of an application page: login for anonymous and inactive users."""
    statuses = dict.fromkeys(ACTORS, logged_in)
    statuses.update(anonymous=LOGIN, inactive=LOGIN)
    statuses.update(overrides)
    return statuses


def admin_statuses(for_admin=200) -> dict:
    statuses = dict.fromkeys(ACTORS, ADMIN_LOGIN)
    statuses["admin"] = for_admin
    return statuses


@dataclass(frozen=True)
class Row:
    """One URL and method of the matrix."""

    label: str
    method: str
    url: Callable
    statuses: dict
    data: Callable = lambda world: {}
    # Actors whose request is expected to change stored rows.
    writers: frozenset = field(default_factory=frozenset)

    @property
    def id(self) -> str:
        return f"{self.label}-{self.method}"


def _today():
    return timezone.localdate()


def _new_message_data(world) -> dict:
    """A complete New message form as the owner's service A, saved as a draft."""
    return {
        "sender": world.owner.pk,
        "sender_service": world.service_a.pk,
        "recipient_kind": PartnerKind.SUPPLIERS,
        "all_recipients": "False",
        "display_start": _today().isoformat(),
        "display_end": (_today() + datetime.timedelta(days=14)).isoformat(),
        "title": "Nouvelle annonce",
        "body": "Texte de la nouvelle annonce.",
        "recipients": [recipient_key(world.vendor.pk)],
        "siret": "",
        "form_token": "",
        "action": "save",
    }


def _sent_change_data(world) -> dict:
    end = world.sent.display_end + datetime.timedelta(days=5)
    return {
        "display_start": world.sent.display_start.isoformat(),
        "display_end": end.isoformat(),
        "siret": "",
        "action": "save",
    }


def _partner_query(world) -> dict:
    return {
        "sender": world.owner.pk,
        "kind": PartnerKind.SUPPLIERS,
        "q": world.vendor.identifier[:6],
        "identifier": world.vendor.identifier[:6],
    }


def _message_url(name, attribute):
    return lambda world: reverse(f"messaging:{name}", args=[getattr(world, attribute).pk])


def _list_url(name):
    return lambda world: reverse_or_skip(f"mailing_lists:{name}", world.mailing_list.pk)


def _url(name):
    return lambda world: reverse(name)


def _owner_writes(label, method, url, statuses, data=lambda world: {}):
    return Row(label, method, url, statuses, data, frozenset({"owner"}))


ROWS = [
    Row("mailbox", "GET", _url("messaging:mailbox"), app_statuses(200)),
    Row("mailbox", "POST", _url("messaging:mailbox"), app_statuses(405)),
    Row("outbox", "GET", _url("messaging:outbox"), app_statuses(200)),
    Row("outbox", "POST", _url("messaging:outbox"), app_statuses(405)),
    Row("message-create", "GET", _url("messaging:message-create"), app_statuses(200)),
    _owner_writes(
        "message-create",
        "POST",
        _url("messaging:message-create"),
        app_statuses(200, owner=302),
        _new_message_data,
    ),
    Row(
        "message-detail-draft",
        "GET",
        _message_url("message-detail", "draft"),
        app_statuses(404, owner=200),
    ),
    Row("message-detail-draft", "POST", _message_url("message-detail", "draft"), app_statuses(405)),
    Row(
        "message-detail-sent",
        "GET",
        _message_url("message-detail", "sent"),
        app_statuses(404, owner=200, recipient=200),
    ),
    Row("message-detail-sent", "POST", _message_url("message-detail", "sent"), app_statuses(405)),
    Row(
        "message-update-draft",
        "GET",
        _message_url("message-update", "draft"),
        app_statuses(404, owner=200),
    ),
    _owner_writes(
        "message-update-draft",
        "POST",
        _message_url("message-update", "draft"),
        app_statuses(404, owner=302),
        lambda world: {**_new_message_data(world), "title": "Titre modifié"},
    ),
    Row(
        "message-update-sent",
        "GET",
        _message_url("message-update", "sent"),
        app_statuses(404, owner=200),
    ),
    _owner_writes(
        "message-update-sent",
        "POST",
        _message_url("message-update", "sent"),
        app_statuses(404, owner=302),
        _sent_change_data,
    ),
    Row(
        "message-delete-draft",
        "GET",
        _message_url("message-delete", "draft"),
        app_statuses(404, owner=200),
    ),
    _owner_writes(
        "message-delete-draft",
        "POST",
        _message_url("message-delete", "draft"),
        app_statuses(404, owner=302),
    ),
    # The owner is sent back to the message page: a sent message is never deleted.
    Row(
        "message-delete-sent",
        "GET",
        _message_url("message-delete", "sent"),
        app_statuses(404, owner=302),
    ),
    Row(
        "message-delete-sent",
        "POST",
        _message_url("message-delete", "sent"),
        app_statuses(404, owner=302),
    ),
    # Users of service B write for the owner structure too, so they may list its partners.
    Row(
        "recipient-suggestions",
        "GET",
        _url("messaging:recipient-suggestions"),
        app_statuses(404, owner=200, other_service=200),
        _partner_query,
    ),
    Row(
        "recipient-suggestions", "POST", _url("messaging:recipient-suggestions"), app_statuses(405)
    ),
    Row(
        "recipient-search",
        "GET",
        _url("messaging:recipient-search"),
        app_statuses(404, owner=200, other_service=200),
        _partner_query,
    ),
    Row("recipient-search", "POST", _url("messaging:recipient-search"), app_statuses(405)),
    Row("list-index", "GET", _url("mailing_lists:list-index"), app_statuses(200)),
    Row("list-index", "POST", _url("mailing_lists:list-index"), app_statuses(405)),
    Row(
        "list-create",
        "GET",
        lambda world: reverse_or_skip("mailing_lists:list-create"),
        app_statuses(200),
    ),
    Row("list-detail", "GET", _list_url("list-detail"), app_statuses(404, owner=200)),
    Row("list-detail", "POST", _list_url("list-detail"), app_statuses(405)),
    Row("list-update", "GET", _list_url("list-update"), app_statuses(404, owner=200)),
    Row("list-delete", "GET", _list_url("list-delete"), app_statuses(404, owner=200)),
    _owner_writes("list-delete", "POST", _list_url("list-delete"), app_statuses(404, owner=302)),
    Row("login", "GET", _url("login"), app_statuses(302, anonymous=200, inactive=200)),
    Row("login", "POST", _url("login"), app_statuses(302, anonymous=200, inactive=200)),
    Row("logout", "GET", _url("logout"), dict.fromkeys(ACTORS, 405)),
    Row("logout", "POST", _url("logout"), dict.fromkeys(ACTORS, 302)),
    Row("admin-index", "GET", _url("admin:index"), admin_statuses()),
    Row(
        "admin-message-change",
        "GET",
        lambda world: reverse("admin:messaging_message_change", args=[world.draft.pk]),
        admin_statuses(),
    ),
    Row(
        "admin-structure-change",
        "GET",
        lambda world: reverse("admin:structures_structure_change", args=[world.owner.pk]),
        admin_statuses(),
    ),
    Row(
        "admin-list-change",
        "GET",
        lambda world: reverse(
            "admin:mailing_lists_mailinglist_change", args=[world.mailing_list.pk]
        ),
        admin_statuses(),
    ),
    Row(
        "admin-message-changelist",
        "POST",
        _url("admin:messaging_message_changelist"),
        admin_statuses(),
    ),
]

ADMIN_CHANGELISTS = [
    f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
    for model in admin_site._registry
]
ROWS += [
    Row(name.removeprefix("admin:"), "GET", _url(name), admin_statuses())
    for name in ADMIN_CHANGELISTS
]


def _leaks(response, texts) -> list[str]:
    """Return those of `texts` found in the body or the Location header of `response`."""
    content = response.content.decode() + response.get("Location", "")
    found = []
    for text in texts:
        variants = {text, html.escape(text), json.dumps(text)[1:-1]}
        if any(variant in content for variant in variants):
            found.append(text)
    return found


def _request(client, row, world):
    url = row.url(world)
    data = row.data(world)
    if row.method == "GET":
        return client.get(url, data)
    return client.post(url, data)


def _assert_status(response, expected, url):
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")
    elif expected == ADMIN_LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login") + "?next=")
    else:
        assert response.status_code == expected, url


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_url_status_for_each_actor(client, row, actor):
    world = build_world()
    client_for(client, world, actor)
    before = row_counts()

    response = _request(client, row, world)

    _assert_status(response, row.statuses[actor], row.url(world))
    assert _leaks(response, world.forbidden_texts(actor)) == []
    if actor not in row.writers:
        assert row_counts() == before


def test_matrix_covers_every_messaging_url():
    from messaging.urls import urlpatterns

    covered = {row.label.split("-draft")[0].split("-sent")[0] for row in ROWS}

    assert {pattern.name for pattern in urlpatterns} <= covered


def test_matrix_covers_every_mailing_list_url():
    from mailing_lists.urls import urlpatterns

    covered = {row.label for row in ROWS}

    assert {pattern.name for pattern in urlpatterns} <= covered


# ---------- References and ids in URLs ----------


def _stranger_with_own_message(world):
    stranger = world.users["stranger"]
    own = DraftFactory(sender=world.stranger_structure, recipient_kind=PartnerKind.CUSTOMERS)
    return stranger, own


def test_foreign_references_give_identical_404(client, world):
    stranger, own = _stranger_with_own_message(world)
    for _ in range(3):
        DraftFactory(sender=world.owner, title="Autre brouillon")
    client.force_login(stranger)
    numbers = Message.objects.exclude(pk=own.pk).values_list("pk", flat=True)
    never_used = [max(numbers) + 1, max(numbers) + 50, 999_999_999]
    bodies = set()

    for number in [*numbers, *never_used]:
        for name in ("message-detail", "message-update", "message-delete"):
            response = client.get(reverse(f"messaging:{name}", args=[number]))
            assert response.status_code == 404, (name, number)
            bodies.add(comparable_page(response))

    assert len(bodies) == 1
    assert client.get(reverse("messaging:message-detail", args=[own.pk])).status_code == 200


def test_foreign_sender_ids_give_identical_404(client, world):
    client.force_login(world.users["stranger"])
    foreign = Structure.objects.exclude(pk=world.stranger_structure.pk)
    ids = [*foreign.values_list("pk", flat=True), foreign.order_by("-pk")[0].pk + 1]
    bodies = set()

    for structure_id in ids:
        for name in ("messaging:recipient-suggestions", "messaging:recipient-search"):
            response = client.get(reverse(name), {"sender": structure_id, "q": "1234"})
            assert response.status_code == 404, (name, structure_id)
            bodies.add(response.content)

    assert len(bodies) == 1


def test_foreign_list_ids_give_identical_404(client, world):
    stranger = world.users["stranger"]
    client.force_login(stranger)
    ids = [world.mailing_list.pk, world.mailing_list.pk + 1, 999_999]
    bodies = set()

    for list_id in ids:
        for name in ("list-detail", "list-update", "list-delete"):
            response = client.get(reverse_or_skip(f"mailing_lists:{name}", list_id))
            assert response.status_code == 404, (name, list_id)
            bodies.add(comparable_page(response))

    assert len(bodies) == 1


def test_outbox_filters_stay_in_scope(client, world):
    client.force_login(world.users["stranger"])

    by_reference = client.get(reverse("messaging:outbox"), {"reference": world.sent.reference})
    by_sender = client.get(reverse("messaging:outbox"), {"sender": world.owner.pk})
    by_title = client.get(reverse("messaging:outbox"), {"title": "Quartz"})

    for response in (by_reference, by_sender, by_title):
        assert response.status_code == 200
        assert _leaks(response, world.forbidden_texts("stranger")) == []


def test_mailbox_filters_stay_in_scope(client, world):
    client.force_login(world.users["stranger"])
    forbidden = world.forbidden_texts("stranger")

    by_sender = client.get(reverse("messaging:mailbox"), {"sender": world.owner.identifier})
    by_recipient = client.get(reverse("messaging:mailbox"), {"recipient": world.vendor.pk})

    # The sender search shows the SIRET typed in its field, and nothing else of the owner.
    assert by_sender.status_code == 200
    assert _leaks(by_sender, [text for text in forbidden if text != world.owner.identifier]) == []
    assert by_recipient.status_code == 200
    assert _leaks(by_recipient, forbidden) == []


def test_partner_gets_404_on_drafts(client, world):
    """An invoice relationship lets a structure receive messages, never see drafts."""
    supplier_user = MembershipFactory(structure=world.vendor).user
    client.force_login(supplier_user)

    response = client.get(reverse("messaging:message-detail", args=[world.draft.pk]))

    assert response.status_code == 404


def test_twin_designation_gives_no_access(client, world):
    """Scopes follow memberships, never names: a twin designation gives no access."""
    twin = PublicStructureFactory(designation=world.owner.designation)
    partners(world.vendor, twin)
    client.force_login(MembershipFactory(structure=twin).user)

    detail = client.get(reverse("messaging:message-detail", args=[world.draft.pk]))
    outbox = client.get(reverse("messaging:outbox"))

    assert detail.status_code == 404
    assert world.draft.title not in outbox.content.decode()
    assert world.sent.title not in outbox.content.decode()
