"""Hostile input on every form, filter and query parameter.

Each case gets a clear French message or is ignored, never a server error
(the test client re-raises any exception a view lets through), and a
rejected request leaves every table as it was.
"""

import datetime
import html

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from mailing_lists.editing import save_mailing_list
from mailing_lists.models import MailingList
from messaging.forms import recipient_key
from messaging.models import Message, MessageEvent, MessageStatus
from structures.models import PartnerKind
from tests.factories import (
    DraftFactory,
    MembershipFactory,
    PublicStructureFactory,
    ServiceFactory,
    StructureFactory,
    partners,
    sent_message,
)
from tests.security.conftest import french, row_counts

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
SCRIPT = '<script>alert("chorus")</script>'
IMAGE = "<img src=x onerror=alert(1)>"
SQL = "'; DROP TABLE messaging_message; --"


def _today():
    return timezone.localdate()


def page_text(response) -> str:
    """Return the body of a response with HTML entities decoded, to search for messages."""
    return html.unescape(response.content.decode())


@pytest.fixture
def town():
    return PublicStructureFactory(designation="COMMUNE DE BORDEAUX - MAIRIE")


@pytest.fixture
def vendor(town):
    vendor = StructureFactory(designation="ATELIERS DUPONT SARL")
    partners(vendor, town)
    return vendor


@pytest.fixture
def author(town):
    return MembershipFactory(structure=town).user


@pytest.fixture
def author_client(client, author):
    client.force_login(author)
    return client


def message_data(town, vendor, *, action="send", **fields) -> dict:
    """Return a complete New message form from `town` to `vendor`, its supplier."""
    data = {
        "sender": town.pk,
        "sender_service": "",
        "recipient_kind": PartnerKind.SUPPLIERS,
        "all_recipients": "False",
        "display_start": _today().strftime("%d/%m/%Y"),
        "display_end": (_today() + 14 * DAY).strftime("%d/%m/%Y"),
        "title": "Fermeture annuelle",
        "body": "Nos services sont fermés du 1er au 15 février.",
        "recipients": [recipient_key(vendor.pk)],
        "siret": "",
        "form_token": "",
        "action": action,
    }
    data.update(fields)
    return data


def post_new_message(client, town, vendor, **fields):
    return client.post(reverse("messaging:message-create"), message_data(town, vendor, **fields))


def assert_rejected(response, before, *texts):
    """Check that the form came back with each of `texts` and that nothing was stored."""
    assert response.status_code == 200
    content = page_text(response)
    for text in texts:
        assert text in content
    assert row_counts() == before


# ---------- Escaping: script and HTML are shown as text everywhere ----------


@pytest.fixture
def hostile_world(town, author):
    """Structures, a service, messages and a list whose every text is a script."""
    town.designation = f"MAIRIE {SCRIPT}"
    town.save()
    vendor = StructureFactory(designation=f"FOURNISSEUR {IMAGE}", city=SCRIPT)
    partners(vendor, town)
    service = ServiceFactory(structure=town, code="STECH", label=SCRIPT)
    sent = sent_message(
        sender=town, recipients=[vendor], title=SCRIPT, body=f"{IMAGE}\n{SCRIPT}", by=author
    )
    draft = DraftFactory(sender=town, sender_service=service, title=IMAGE, body=SCRIPT)
    mailing_list = save_mailing_list(
        MailingList(name=SCRIPT, owner=town, recipient_kind=PartnerKind.SUPPLIERS),
        [(vendor.pk, None)],
        by=author,
    )
    reader = MembershipFactory(structure=vendor).user
    return {
        "town": town,
        "vendor": vendor,
        "sent": sent,
        "draft": draft,
        "list": mailing_list,
        "reader": reader,
    }


def _assert_escaped(response, name):
    content = response.content.decode()
    assert response.status_code == 200, name
    assert SCRIPT not in content, name
    assert IMAGE not in content, name


def test_scripts_are_escaped_in_sender_pages(author_client, hostile_world):
    sent, draft = hostile_world["sent"], hostile_world["draft"]
    pages = {
        "outbox": reverse("messaging:outbox"),
        "outbox filtered": reverse("messaging:outbox") + "?title=%3Cscript%3E",
        "sent detail": reverse("messaging:message-detail", args=[sent.pk]),
        "draft detail": reverse("messaging:message-detail", args=[draft.pk]),
        "sent update": reverse("messaging:message-update", args=[sent.pk]),
        "draft update": reverse("messaging:message-update", args=[draft.pk]),
        "draft delete": reverse("messaging:message-delete", args=[draft.pk]),
        "new message": reverse("messaging:message-create"),
    }

    for name, url in pages.items():
        response = author_client.get(url)
        _assert_escaped(response, name)
        assert "&lt;script&gt;" in response.content.decode() or "&lt;img" in (
            response.content.decode()
        ), name


def test_scripts_are_escaped_in_recipient_pages(client, hostile_world):
    client.force_login(hostile_world["reader"])

    mailbox = client.get(reverse("messaging:mailbox"))
    detail = client.get(reverse("messaging:message-detail", args=[hostile_world["sent"].pk]))

    _assert_escaped(mailbox, "mailbox")
    _assert_escaped(detail, "detail")
    assert "&lt;script&gt;" in detail.content.decode()


def test_scripts_are_escaped_in_recipient_search(author_client, hostile_world):
    town = hostile_world["town"]
    query = {"sender": town.pk, "kind": PartnerKind.SUPPLIERS, "designation": "FOURNISSEUR"}

    search = author_client.get(reverse("messaging:recipient-search"), query)
    form_search = author_client.post(
        reverse("messaging:message-create"),
        message_data(town, hostile_world["vendor"], action="search", **{"search-city": "script"}),
    )

    _assert_escaped(search, "search endpoint")
    assert "&lt;img" in search.content.decode()
    _assert_escaped(form_search, "search in the form")


def test_suggestions_are_json_not_html(author_client, hostile_world):
    vendor = hostile_world["vendor"]
    query = {
        "sender": hostile_world["town"].pk,
        "kind": PartnerKind.SUPPLIERS,
        "q": vendor.identifier[:5],
    }

    response = author_client.get(reverse("messaging:recipient-suggestions"), query)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()[0]["label"].endswith(IMAGE)


ADMIN_PAGES = [
    ("admin:messaging_message_changelist", None),
    ("admin:messaging_message_change", "sent"),
    ("admin:messaging_message_change", "draft"),
    ("admin:messaging_delivery_changelist", None),
    ("admin:messaging_messageevent_changelist", None),
    ("admin:structures_structure_changelist", None),
    ("admin:structures_structure_change", "town"),
    ("admin:structures_service_changelist", None),
    ("admin:structures_partner_changelist", None),
    ("admin:structures_membership_changelist", None),
    ("admin:mailing_lists_mailinglist_changelist", None),
    ("admin:mailing_lists_mailinglist_change", "list"),
]


@pytest.mark.parametrize(("name", "key"), ADMIN_PAGES)
def test_scripts_are_escaped_in_admin(admin_client, hostile_world, name, key):
    args = [hostile_world[key].pk] if key else []

    response = admin_client.get(reverse(name, args=args))

    _assert_escaped(response, name)


def test_scripts_are_escaped_in_mailing_list_pages(author_client, hostile_world):
    from tests.security.conftest import reverse_or_skip

    mailing_list = hostile_world["list"]
    urls = [reverse("mailing_lists:list-index")] + [
        reverse_or_skip(f"mailing_lists:{name}", mailing_list.pk)
        for name in ("list-detail", "list-update", "list-delete")
    ]

    for url in urls:
        _assert_escaped(author_client.get(url), url)


# ---------- SQL-looking text is text ----------


def test_sql_title_is_stored_as_text(author_client, town, vendor):
    response = post_new_message(author_client, town, vendor, title=SQL, body=SQL)
    found = author_client.get(reverse("messaging:outbox"), {"title": "drop table"})

    assert response.status_code == 302
    message = Message.objects.get()
    assert message.title == SQL
    assert message.body == SQL
    assert found.status_code == 200
    assert message.reference in found.content.decode()


@pytest.mark.parametrize("value", [SQL, "%", "_", "\\", "' OR '1'='1", "%' --", "MSG_%"])
def test_sql_and_wildcards_in_filters_match_nothing_else(author_client, town, value):
    DraftFactory(sender=town, title="Annonce ordinaire")

    response = author_client.get(reverse("messaging:outbox"), {"title": value})

    assert response.status_code == 200
    assert "Annonce ordinaire" not in response.content.decode()


@pytest.mark.parametrize("value", [SQL, "1 OR 1=1", "MSG_' --", "MSG_0000000001", "-1"])
def test_malformed_reference_filter_shows_french_error(author_client, town, value):
    DraftFactory(sender=town, title="Annonce ordinaire")

    response = author_client.get(reverse("messaging:outbox"), {"reference": value})

    assert response.status_code == 200
    assert "Saisissez une référence comme MSG_000000184" in page_text(response)
    assert "Annonce ordinaire" not in response.content.decode()


def test_sql_in_recipient_queries_finds_nothing(author_client, town, vendor):
    base = {"sender": town.pk, "kind": PartnerKind.SUPPLIERS}

    suggestions = author_client.get(reverse("messaging:recipient-suggestions"), {**base, "q": SQL})
    search = author_client.get(
        reverse("messaging:recipient-search"), {**base, "designation": "' OR 1=1 --"}
    )

    assert suggestions.status_code == 200
    assert suggestions.json() == []
    assert search.status_code == 200
    assert vendor.designation not in search.content.decode()


# ---------- Lengths, accents, emoji and line breaks ----------

TITLE_CASES = [
    ("é" * 49, True),
    ("é" * 50, True),
    ("é" * 51, False),
    ("😀" * 50, True),
    ("😀" * 51, False),
    ("Éé" * 24 + "👍🏽", False),  # 48 letters and an emoji with its skin tone: 50 code points
    ("Éé" * 24 + "👍", True),
    ("  " + "a" * 50 + "  ", True),  # surrounding spaces are removed before counting
    # Ligatures fold to several letters for the title search; the title keeps its 50.
    ("ﬃ" * 50, True),
    ("ﷺ" * 50, True),
]


@pytest.mark.parametrize(("title", "accepted"), TITLE_CASES)
def test_title_length_counts_characters(author_client, town, vendor, title, accepted):
    before = row_counts()
    expected = title.strip()
    if expected == "Éé" * 24 + "👍🏽":
        accepted = len(expected) <= 50

    response = post_new_message(author_client, town, vendor, title=title)

    if accepted:
        assert response.status_code == 302
        assert Message.objects.get().title == expected
    else:
        assert_rejected(response, before, f"au plus 50 caractères (actuellement {len(expected)})")


BODY_CASES = [
    ("é" * 1999, True),
    ("é" * 2000, True),
    ("é" * 2001, False),
    ("😀" * 2000, True),
    ("😀" * 2001, False),
    ("é\r\n" * 1000, True),  # 3,000 characters sent, 2,000 once each CRLF counts as one
    ("é\r\n" * 1000 + "x", False),
    ("a\r" * 999 + "a", True),
    ("\r\n" * 999 + "é", True),
]


@pytest.mark.parametrize(("body", "accepted"), BODY_CASES, ids=range(len(BODY_CASES)))
def test_body_length_counts_a_line_break_once(author_client, town, vendor, body, accepted):
    before = row_counts()
    normalized = body.replace("\r\n", "\n").replace("\r", "\n").strip()

    response = post_new_message(author_client, town, vendor, body=body)

    if accepted:
        assert response.status_code == 302
        assert Message.objects.get().body == normalized
    else:
        assert_rejected(response, before, "au plus 2000 caractères")


@pytest.mark.parametrize(
    ("field", "message"),
    [("title", "Le titre est obligatoire."), ("body", "Le message est obligatoire.")],
)
@pytest.mark.parametrize("value", ["", "   ", "\r\n\t"])
def test_empty_text_cannot_be_sent(author_client, town, vendor, field, message, value):
    before = row_counts()

    response = post_new_message(author_client, town, vendor, **{field: value})

    assert_rejected(response, before, message)


def test_empty_draft_can_be_saved(author_client, town, vendor):
    response = post_new_message(
        author_client, town, vendor, action="save", title="", body="", recipients=[]
    )

    assert response.status_code == 302
    assert Message.objects.get().status == MessageStatus.DRAFT


def test_null_character_is_rejected(author_client, town, vendor):
    before = row_counts()

    response = post_new_message(author_client, town, vendor, title="Fermeture\x00annuelle")

    assert_rejected(response, before, "Le caractère nul n\u2019est pas autorisé.")


def test_over_long_search_criteria_are_errors(author_client, town):
    base = {"sender": town.pk, "kind": PartnerKind.SUPPLIERS}

    suggestions = author_client.get(
        reverse("messaging:recipient-suggestions"), {**base, "q": "1" * 5000}
    )
    search = author_client.get(
        reverse("messaging:recipient-search"), {**base, "designation": "x" * 5000}
    )

    assert suggestions.status_code == 400
    assert "au plus 100 caractères" in suggestions.json()["errors"]["q"][0]["message"]
    assert search.status_code == 400


# ---------- Dates ----------


@pytest.mark.parametrize(
    "value",
    ["31/02/2026", "2026-13-01", "2026-02-30", "demain", "00/00/0000", "1/13/2026", "2026-1-1x"],
)
@pytest.mark.parametrize("field", ["display_start", "display_end"])
def test_invalid_date_shows_french_error(author_client, town, vendor, field, value):
    before = row_counts()

    response = post_new_message(author_client, town, vendor, action="save", **{field: value})

    assert_rejected(response, before, "Saisissez une date valide.")


def test_end_before_start_is_rejected(author_client, town, vendor):
    before = row_counts()
    start = _today() + 5 * DAY

    response = post_new_message(
        author_client,
        town,
        vendor,
        action="save",
        display_start=start.isoformat(),
        display_end=(start - DAY).isoformat(),
    )

    assert_rejected(response, before, "La date de fin ne peut pas précéder la date de début.")


def test_start_in_the_past_is_rejected(author_client, town, vendor):
    before = row_counts()

    response = post_new_message(
        author_client, town, vendor, display_start=(_today() - DAY).isoformat()
    )

    assert_rejected(response, before, "La date de début ne peut pas être dans le passé.")


def test_far_future_dates_are_accepted(author_client, town, vendor):
    response = post_new_message(
        author_client, town, vendor, display_start="31/12/9998", display_end="31/12/9999"
    )

    assert response.status_code == 302
    assert Message.objects.get().display_end == datetime.date(9999, 12, 31)


def test_sent_message_end_before_start_is_rejected(author_client, town, vendor):
    sent = sent_message(sender=town, recipients=[vendor])
    events = MessageEvent.objects.count()

    response = author_client.post(
        reverse("messaging:message-update", args=[sent.pk]),
        {
            "display_start": sent.display_start.isoformat(),
            "display_end": (sent.display_start - DAY).isoformat(),
            "action": "save",
        },
    )

    assert response.status_code == 200
    assert "La date de fin ne peut pas précéder la date de début." in page_text(response)
    sent.refresh_from_db()
    assert sent.display_end >= sent.display_start
    assert MessageEvent.objects.count() == events


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"start_from": "31/02/2026"}, "Saisissez une date valide."),
        ({"start_to": "2026-13-01"}, "Saisissez une date valide."),
        ({"start_from": "demain"}, "Saisissez une date valide."),
        (
            {"start_from": "10/02/2026", "start_to": "01/02/2026"},
            "Cette date ne peut pas précéder la première date de l'intervalle.",
        ),
    ],
)
def test_outbox_date_filters_show_french_errors(author_client, town, params, error):
    response = author_client.get(reverse("messaging:outbox"), params)

    assert response.status_code == 200
    assert error in page_text(response)


# ---------- Paging, sorting and other list parameters ----------

LIST_PARAMS = [
    {"page": "0"},
    {"page": "-1"},
    {"page": "9" * 40},
    {"page": "abc"},
    {"page": "1e3"},
    {"page": "\x00"},
    {"page": ["1", "2"]},
    {"per_page": "0"},
    {"per_page": "-5"},
    {"per_page": "abc"},
    {"per_page": "1000000"},
    {"per_page": "9" * 40},
    {"sort": "nonexistent"},
    {"sort": "-nonexistent"},
    {"sort": "title;DROP TABLE messaging_message"},
    {"sort": "__class__"},
    {"sort": "sender__memberships__user__password"},
    {"sort": "title,-pk,created_at"},
    {"sender": "abc"},
    {"sender": "-1"},
    {"sender": "9" * 40},
    {"recipient": "9" * 40},
    {"status": "bogus"},
    {"title": "x" * 10_000},
    {"unknown": "value"},
]


@pytest.mark.parametrize(
    "tab", ["messaging:outbox", "messaging:mailbox", "mailing_lists:list-index"]
)
@pytest.mark.parametrize("params", LIST_PARAMS, ids=range(len(LIST_PARAMS)))
def test_list_parameters_never_fail(author_client, town, vendor, tab, params):
    for number in range(3):
        DraftFactory(sender=town, title=f"Annonce {number}")

    response = author_client.get(reverse(tab), params)

    assert response.status_code == 200


def test_detail_recipient_paging_never_fails(author_client, town, vendor):
    sent = sent_message(sender=town, recipients=[vendor])
    url = reverse("messaging:message-detail", args=[sent.pk])

    for page in ("0", "-1", "9" * 40, "abc", "\x00"):
        assert author_client.get(url, {"recipients_page": page}).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"sender": "abc"},
        {"sender": "9" * 40},
        {"sender": "-1"},
        {"sender": ""},
        {},
    ],
)
@pytest.mark.parametrize("name", ["recipient-suggestions", "recipient-search"])
def test_recipient_endpoints_answer_404_for_bad_senders(author_client, name, params):
    response = author_client.get(reverse(f"messaging:{name}"), params)

    assert response.status_code == 404
    assert response.json() == {"error": "Structure émettrice inconnue."}


@pytest.mark.parametrize("name", ["recipient-suggestions", "recipient-search"])
def test_recipient_endpoints_reject_unknown_kind(author_client, town, name):
    response = author_client.get(
        reverse(f"messaging:{name}"), {"sender": town.pk, "kind": "bogus", "q": "1234"}
    )

    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.json()["errors"]["kind"][0]["message"]


# ---------- Forged recipients and senders ----------


def test_non_partner_recipient_is_named(author_client, town, vendor):
    outsider = StructureFactory(designation="ENTREPRISE SANS FACTURE")
    before = row_counts()

    response = post_new_message(
        author_client,
        town,
        vendor,
        action="save",
        recipients=[recipient_key(vendor.pk), recipient_key(outsider.pk)],
    )

    assert_rejected(response, before, "ENTREPRISE SANS FACTURE", "n'a échangé aucune facture")


def test_partner_of_other_kind_is_rejected(author_client, town, vendor):
    """A customer of the town is no recipient of a message to its suppliers."""
    customer = StructureFactory(designation="CLIENT DE LA MAIRIE")
    partners(town, customer)
    before = row_counts()

    response = post_new_message(
        author_client, town, vendor, action="send", recipients=[recipient_key(customer.pk)]
    )

    assert_rejected(response, before, "CLIENT DE LA MAIRIE")


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("999999999::typed", "Un destinataire choisi n'existe pas"),
        ("9" * 40 + "::typed", "Les destinataires choisis ne sont pas valides"),
        ("²::typed", "Les destinataires choisis ne sont pas valides"),
        ("٣::typed", "Les destinataires choisis ne sont pas valides"),
        ("abc", "Les destinataires choisis ne sont pas valides"),
        ("1:2:3:4", "Les destinataires choisis ne sont pas valides"),
        ("-1::typed", "Les destinataires choisis ne sont pas valides"),
        ("", "Le titre est obligatoire."),
    ],
)
def test_forged_recipient_keys_are_rejected(author_client, town, vendor, key, message):
    before = row_counts()

    response = post_new_message(author_client, town, vendor, recipients=[key], title="")

    assert_rejected(response, before, message)


def test_service_of_another_structure_is_rejected(author_client, town, vendor):
    foreign_service = ServiceFactory()
    before = row_counts()

    response = post_new_message(
        author_client,
        town,
        vendor,
        recipients=[f"{vendor.pk}:{foreign_service.pk}:typed"],
    )

    assert_rejected(response, before, "Un destinataire choisi n'existe pas")


def test_typed_siret_of_non_partner_is_rejected(author_client, town, vendor):
    outsider = StructureFactory()
    before = row_counts()

    response = post_new_message(
        author_client, town, vendor, action="add_siret", siret=outsider.identifier
    )

    assert_rejected(
        response,
        before,
        f"Aucun fournisseur de la structure émettrice n'a l'identifiant {outsider.identifier}.",
    )


def test_forged_sender_structure_is_rejected(author_client, town, vendor):
    foreign = PublicStructureFactory(designation="AUTRE COMMUNE")
    partners(vendor, foreign)
    before = row_counts()

    response = post_new_message(author_client, town, vendor, sender=foreign.pk)

    assert_rejected(response, before, "Sélectionnez un choix valide.")
    assert "AUTRE COMMUNE" not in response.content.decode()


@pytest.mark.parametrize("sender", ["abc", "9" * 40, "-1", ""])
def test_malformed_sender_is_rejected(author_client, town, vendor, sender):
    before = row_counts()

    response = post_new_message(author_client, town, vendor, sender=sender)

    assert response.status_code == 200
    assert row_counts() == before


def test_forged_sender_service_is_rejected(author_client, town, vendor):
    foreign_service = ServiceFactory(code="ETRANGER")
    before = row_counts()

    response = post_new_message(author_client, town, vendor, sender_service=foreign_service.pk)

    assert_rejected(response, before, "Sélectionnez un choix valide.")


def test_service_user_cannot_write_as_whole_structure(client, town, vendor):
    service = ServiceFactory(structure=town)
    client.force_login(MembershipFactory(structure=town, service=service).user)
    before = row_counts()

    response = post_new_message(client, town, vendor, sender_service="")

    assert_rejected(response, before, "choisissez-le")


def test_private_sender_cannot_write_to_suppliers(client, vendor, town):
    client.force_login(MembershipFactory(structure=vendor).user)
    supplier_of_vendor = StructureFactory()
    partners(supplier_of_vendor, vendor)
    before = row_counts()

    response = client.post(
        reverse("messaging:message-create"),
        {
            **message_data(vendor, supplier_of_vendor),
            "recipient_kind": PartnerKind.SUPPLIERS,
        },
    )

    assert response.status_code in (200, 302)
    if response.status_code == 302:
        message = Message.objects.get()
        assert message.recipient_kind == PartnerKind.CUSTOMERS
        assert message.is_draft
    else:
        assert row_counts() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [("all_recipients", "maybe"), ("recipient_kind", "bogus")],
)
def test_unknown_choices_are_rejected(author_client, town, vendor, field, value):
    before = row_counts()

    response = post_new_message(author_client, town, vendor, **{field: value})

    assert_rejected(response, before, "Sélectionnez un choix valide.")


def test_forged_status_and_authors_are_ignored(author_client, town, vendor, author):
    other = MembershipFactory(structure=town).user

    response = post_new_message(
        author_client,
        town,
        vendor,
        action="save",
        status="sent",
        sent_at="2020-01-01T00:00:00Z",
        created_by=other.pk,
        sent_by=other.pk,
        title_folded="faux",
    )

    assert response.status_code == 302
    message = Message.objects.get()
    assert message.status == MessageStatus.DRAFT
    assert message.sent_at is None
    assert message.created_by == author
    assert message.title_folded == "fermeture annuelle"


def test_sent_message_content_cannot_be_forged(author_client, town, vendor):
    sent = sent_message(sender=town, recipients=[vendor], title="Titre d'origine")
    other_town = PublicStructureFactory()

    response = author_client.post(
        reverse("messaging:message-update", args=[sent.pk]),
        {
            "display_start": sent.display_start.isoformat(),
            "display_end": sent.display_end.isoformat(),
            "title": "Titre forgé",
            "body": "Corps forgé",
            "sender": other_town.pk,
            "status": "draft",
            "action": "save",
        },
    )

    assert response.status_code == 302
    sent.refresh_from_db()
    assert sent.title == "Titre d'origine"
    assert sent.sender == town
    assert sent.is_sent


def test_unknown_action_saves_nothing(author_client, town, vendor):
    before = row_counts()

    response = post_new_message(author_client, town, vendor, action="delete_everything")

    assert response.status_code == 200
    assert row_counts() == before


# ---------- Language and redirects ----------


def test_hostile_language_cookie_falls_back_to_french(author_client):
    author_client.cookies["django_language"] = "<script>"

    response = author_client.get(reverse("messaging:mailbox"))

    assert response.status_code == 200
    assert '<html lang="fr">' in response.content.decode()


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_language_switch_refuses_foreign_redirects(author_client, target):
    response = author_client.post(reverse("set_language"), {"language": "en", "next": target})

    assert response.status_code == 302
    assert "evil" not in response["Location"]
    assert "javascript" not in response["Location"]


def test_unknown_host_is_refused(client):
    response = client.get(reverse("login"), HTTP_HOST="evil.example")

    assert response.status_code == 400


# ---------- Admin ----------


def test_admin_rejects_over_long_title(admin_client, town):
    before = row_counts()

    response = admin_client.post(
        reverse("admin:messaging_message_add"),
        {
            "sender": town.pk,
            "recipient_kind": PartnerKind.SUPPLIERS,
            "title": "é" * 51,
            "body": "Texte",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )

    assert_rejected(response, before, "au plus 50 caractères")


def test_admin_cannot_change_sent_content(admin_client, town, vendor):
    sent = sent_message(sender=town, recipients=[vendor], title="Titre d'origine")
    events = MessageEvent.objects.count()

    admin_client.post(
        reverse("admin:messaging_message_change", args=[sent.pk]),
        {
            "sender": PublicStructureFactory().pk,
            "recipient_kind": sent.recipient_kind,
            "title": "Titre changé dans l'admin",
            "body": "Corps changé",
            "display_start": sent.display_start.isoformat(),
            "display_end": sent.display_end.isoformat(),
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )

    sent.refresh_from_db()
    assert sent.title == "Titre d'origine"
    assert sent.sender == town
    assert MessageEvent.objects.count() == events


def test_admin_bulk_delete_refuses_sent_messages(admin_client, town, vendor):
    draft = DraftFactory(sender=town)
    sent = sent_message(sender=town, recipients=[vendor])
    before = row_counts()

    response = admin_client.post(
        reverse("admin:messaging_message_changelist"),
        {"action": "delete_selected", "_selected_action": [draft.pk, sent.pk], "post": "yes"},
    )

    assert response.status_code == 403
    assert french("Access denied") in page_text(response)
    assert row_counts() == before


def test_admin_delete_page_refuses_sent_message(admin_client, town, vendor):
    sent = sent_message(sender=town, recipients=[vendor])
    before = row_counts()

    response = admin_client.post(
        reverse("admin:messaging_message_delete", args=[sent.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert row_counts() == before


# ---------- Stale pages ----------


def test_send_from_stale_page(client, town, vendor, author, monkeypatch):
    from messaging.sending import Recipient, send, set_draft_recipients
    from messaging.views.compose import MessageUpdateView

    draft = DraftFactory(sender=town, created_by=author)
    set_draft_recipients(draft, [Recipient(vendor.pk)])
    load = MessageUpdateView.load

    def load_while_another_tab_sends(view, reference):
        load(view, reference)
        send(Message.objects.get(pk=reference), by=author)

    monkeypatch.setattr(MessageUpdateView, "load", load_while_another_tab_sends)
    client.force_login(author)
    client.cookies["django_language"] = "en"

    response = client.post(
        reverse("messaging:message-update", args=[draft.pk]),
        message_data(town, vendor, display_start=_today().isoformat()),
    )

    assert response.status_code == 302
    texts = [str(message) for message in get_messages(response.wsgi_request)]
    assert texts == [f"Message {draft.reference} has already been sent."]
    assert draft.deliveries.count() == 1
    assert MessageEvent.objects.filter(message=draft, action="sent").count() == 1


def test_title_on_two_lines_is_rejected(author_client, town, vendor):
    before = row_counts()

    response = post_new_message(author_client, town, vendor, title="Ligne un\r\nLigne deux")

    assert_rejected(response, before, french("The title must fit on one line."))


# ---------- Mailing lists ----------


def list_data(town, vendor, **fields) -> dict:
    """Return a complete New list form of `town` holding its supplier `vendor`."""
    data = {
        "name": "Fournisseurs informatique",
        "owner": town.pk,
        "owner_service": "",
        "recipient_kind": PartnerKind.SUPPLIERS,
        "recipients": [recipient_key(vendor.pk)],
        "siret": "",
        "action": "save",
    }
    data.update(fields)
    return data


def post_new_list(client, town, vendor, **fields):
    return client.post(reverse("mailing_lists:list-create"), list_data(town, vendor, **fields))


@pytest.mark.parametrize(
    ("name", "accepted"),
    [("é" * 249, True), ("😀" * 250, True), ("é" * 251, False), (SQL, True), (SCRIPT, True)],
    ids=["249", "250 emoji", "251", "sql", "script"],
)
def test_list_name_length_counts_characters(author_client, town, vendor, name, accepted):
    before = row_counts()

    response = post_new_list(author_client, town, vendor, name=name)

    if accepted:
        assert response.status_code == 302
        assert MailingList.objects.get().name == name
    else:
        assert_rejected(response, before, "au plus 250 caractères")


@pytest.mark.parametrize("name", ["", "   ", "\t"])
def test_empty_list_name_is_rejected(author_client, town, vendor, name):
    before = row_counts()

    response = post_new_list(author_client, town, vendor, name=name)

    assert_rejected(response, before, french("The list name is required."))


def test_list_name_with_null_character_is_rejected(author_client, town, vendor):
    before = row_counts()

    response = post_new_list(author_client, town, vendor, name="Liste\x00A")

    assert_rejected(response, before, "Le caractère nul n\u2019est pas autorisé.")


def test_list_name_duplicate_ignores_case(author_client, town, vendor):
    post_new_list(author_client, town, vendor, name="Fournisseurs Informatique")
    before = row_counts()

    response = post_new_list(author_client, town, vendor, name="FOURNISSEURS informatique")

    assert_rejected(response, before, french("This structure already has a list with this name."))


def test_list_with_forged_owner_is_rejected(author_client, town, vendor):
    foreign = PublicStructureFactory(designation="AUTRE COMMUNE")
    partners(vendor, foreign)
    before = row_counts()

    response = post_new_list(author_client, town, vendor, owner=foreign.pk)

    assert_rejected(response, before, "Sélectionnez un choix valide.")
    assert "AUTRE COMMUNE" not in response.content.decode()


def test_list_owner_change_is_ignored(author_client, town, vendor, author):
    mailing_list = save_mailing_list(
        MailingList(name="Liste", owner=town, recipient_kind=PartnerKind.SUPPLIERS),
        [(vendor.pk, None)],
        by=author,
    )
    other_town = PublicStructureFactory()
    MembershipFactory(structure=other_town, user=author)
    partners(vendor, other_town)

    author_client.post(
        reverse("mailing_lists:list-update", args=[mailing_list.pk]),
        list_data(town, vendor, owner=other_town.pk, name="Liste renommée"),
    )

    mailing_list.refresh_from_db()
    assert mailing_list.owner == town


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("999999999::typed", "Un destinataire choisi n'existe pas"),
        ("²::typed", "Les destinataires choisis ne sont pas valides"),
        ("9" * 40 + "::typed", "Les destinataires choisis ne sont pas valides"),
    ],
)
def test_list_with_forged_recipient_keys_is_rejected(author_client, town, vendor, key, message):
    before = row_counts()

    response = post_new_list(author_client, town, vendor, recipients=[key])

    assert_rejected(response, before, message)


def test_list_with_non_partner_is_rejected(author_client, town, vendor):
    outsider = StructureFactory(designation="ENTREPRISE SANS FACTURE")
    before = row_counts()

    response = post_new_list(
        author_client,
        town,
        vendor,
        recipients=[recipient_key(vendor.pk), recipient_key(outsider.pk)],
    )

    assert_rejected(response, before, "ENTREPRISE SANS FACTURE")


def test_message_with_another_structures_list_is_rejected(author_client, town, vendor):
    foreign = PublicStructureFactory()
    partners(vendor, foreign)
    foreign_list = save_mailing_list(
        MailingList(name="Liste étrangère", owner=foreign, recipient_kind=PartnerKind.SUPPLIERS),
        [(vendor.pk, None)],
        by=None,
    )
    before = row_counts()

    response = post_new_message(author_client, town, vendor, mailing_lists=[foreign_list.pk])

    assert response.status_code == 200
    assert "Liste étrangère" not in response.content.decode()
    assert row_counts() == before


def test_service_user_cannot_use_another_services_list(client, town, vendor):
    service_a = ServiceFactory(structure=town)
    service_b = ServiceFactory(structure=town)
    list_of_a = save_mailing_list(
        MailingList(
            name="Liste du service A",
            owner=town,
            owner_service=service_a,
            recipient_kind=PartnerKind.SUPPLIERS,
        ),
        [(vendor.pk, None)],
        by=None,
    )
    client.force_login(MembershipFactory(structure=town, service=service_b).user)
    before = row_counts()

    response = post_new_message(
        client, town, vendor, sender_service=service_b.pk, mailing_lists=[list_of_a.pk]
    )

    assert response.status_code == 200
    assert "Liste du service A" not in response.content.decode()
    assert row_counts() == before


# ---------- Oversized requests ----------


def test_form_with_thousands_of_recipients_is_handled(author_client, town, vendor):
    before = row_counts()
    keys = [recipient_key(vendor.pk)] + [
        f"{number}::typed" for number in range(10**6, 10**6 + 3000)
    ]

    response = post_new_message(author_client, town, vendor, recipients=keys)

    assert_rejected(response, before, "Un destinataire choisi n'existe pas")


def test_too_many_fields_gets_400_page(author, town, vendor):
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(author)
    keys = [f"{number}::typed" for number in range(1, 20_001)]
    before = row_counts()

    response = client.post(
        reverse("messaging:message-create"), message_data(town, vendor, recipients=keys)
    )

    assert response.status_code == 400
    assert '<html lang="fr">' in response.content.decode()
    assert french("Invalid request") in response.content.decode()
    assert row_counts() == before
