"""Properties of the message form and the domain rules, checked on generated input.

Each property runs on at most 50 generated examples without a deadline, so
that the suite stays fast. Every example runs in a savepoint that is rolled
back, so examples do not see each other's rows.
"""

import datetime
import re
from contextlib import contextmanager

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from chorus_messages.text import fold
from messaging.converters import ReferenceConverter
from messaging.filters import ReferenceField
from messaging.forms import parse_recipient_key, recipient_key
from messaging.models import (
    BODY_MAX_LENGTH,
    TITLE_FOLDED_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Message,
    format_reference,
    parse_reference,
)
from messaging.rules import LOCKED_FIELDS, check_message
from structures.models import PartnerKind
from tests.factories import (
    DraftFactory,
    MembershipFactory,
    PublicStructureFactory,
    StructureFactory,
    partners,
    sent_message,
)

pytestmark = pytest.mark.django_db

BOUNDED = settings(
    max_examples=50,
    deadline=None,
    database=None,
    # The fixtures (a logged-in client, structures) are shared by the examples on purpose:
    # each example's rows are rolled back.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
DAY = datetime.timedelta(days=1)

# Any Unicode text that a browser can send: every code point except lone surrogates.
any_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)))
# Segments that count as one character once line breaks are normalised. A "\r" followed
# by a "\n" segment makes one CRLF, and the oracle below counts it once as well.
BODY_SEGMENTS = ["a", "é", "😀", "\r\n", "\n", "\r", " ", "ﬃ"]


@contextmanager
def rolled_back():
    """Run the block in a savepoint that is always rolled back."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _today():
    return timezone.localdate()


@pytest.fixture
def town():
    return PublicStructureFactory()


@pytest.fixture
def vendor(town):
    vendor = StructureFactory()
    partners(vendor, town)
    return vendor


@pytest.fixture
def author_client(client, town):
    client.force_login(MembershipFactory(structure=town).user)
    return client


def _post_message(client, town, vendor, **fields):
    data = {
        "sender": town.pk,
        "sender_service": "",
        "recipient_kind": PartnerKind.SUPPLIERS,
        "all_recipients": "False",
        "display_start": _today().isoformat(),
        "display_end": (_today() + 14 * DAY).isoformat(),
        "title": "Fermeture annuelle",
        "body": "Nos services sont fermés en février.",
        "recipients": [recipient_key(vendor.pk)],
        "siret": "",
        "form_token": "",
        "action": "send",
    }
    data.update(fields)
    return client.post(reverse("messaging:message-create"), data)


def _line_breaks_as_one(text: str) -> str:
    return re.sub(r"\r\n?", "\n", text)


# ---------- The message form ----------


@BOUNDED
@given(title=any_text.filter(lambda text: len(text) <= TITLE_MAX_LENGTH + 10))
def test_valid_title_is_stored_intact(author_client, town, vendor, title):
    expected = title.strip()
    with rolled_back():
        response = _post_message(author_client, town, vendor, title=title)

        on_one_line = "\r" not in expected and "\n" not in expected
        if (
            not expected
            or "\x00" in expected
            or not on_one_line
            or len(expected) > TITLE_MAX_LENGTH
        ):
            assert response.status_code == 200
            assert not Message.objects.exists()
        else:
            assert response.status_code == 302
            assert Message.objects.get().title == expected


@BOUNDED
@given(
    segments=st.lists(st.sampled_from(BODY_SEGMENTS), min_size=1, max_size=8),
    repeats=st.integers(min_value=240, max_value=260),
)
def test_body_limit_counts_each_line_break_once(author_client, town, vendor, segments, repeats):
    body = "".join(segments) * repeats
    expected = _line_breaks_as_one(body).strip()
    with rolled_back():
        response = _post_message(author_client, town, vendor, body=body)

        if expected and len(expected) <= BODY_MAX_LENGTH:
            assert response.status_code == 302
            assert Message.objects.get().body == expected
        else:
            assert response.status_code == 200
            assert not Message.objects.exists()


@BOUNDED
@given(
    start_offset=st.integers(min_value=0, max_value=400),
    length=st.integers(min_value=-400, max_value=400),
)
def test_end_before_start_is_always_rejected(author_client, town, vendor, start_offset, length):
    start = _today() + start_offset * DAY
    end = start + length * DAY
    with rolled_back():
        response = _post_message(
            author_client,
            town,
            vendor,
            action="save",
            display_start=start.isoformat(),
            display_end=end.isoformat(),
        )

        assert response.status_code == (302 if end >= start else 200)
        assert Message.objects.exists() == (end >= start)


@BOUNDED
@given(
    title=any_text.filter(lambda text: 0 < len(text.strip()) <= TITLE_MAX_LENGTH), data=st.data()
)
def test_title_search_finds_any_part_of_the_title(author_client, town, title, data):
    title = title.strip()
    assume("\x00" not in title and len(fold(title)) <= TITLE_FOLDED_MAX_LENGTH)
    start = data.draw(st.integers(min_value=0, max_value=len(title) - 1))
    end = data.draw(st.integers(min_value=start + 1, max_value=len(title)))
    with rolled_back():
        message = DraftFactory(sender=town, title=title)

        response = author_client.get(reverse("messaging:outbox"), {"title": title[start:end]})

        assert message.reference in response.content.decode()


# ---------- Domain rules ----------


@BOUNDED
@given(
    start=st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2100, 1, 1)),
    end=st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2100, 1, 1)),
)
def test_rules_reject_inverted_periods(town, start, end):
    draft = Message(sender=town, recipient_kind=PartnerKind.SUPPLIERS)
    draft.display_start, draft.display_end = start, end

    if end < start:
        with pytest.raises(ValidationError) as error:
            check_message(draft)
        assert "display_end" in error.value.message_dict
    else:
        check_message(draft)


def _changed_value(message, name, draw, other_structure):
    """Return a value of `name` different from the message's own."""
    current = getattr(message, name)
    if name in ("title", "body"):
        return draw(any_text.filter(lambda text: text != current and "\x00" not in text))
    if name == "sender_id":
        return other_structure.pk
    if name == "sender_service_id":
        return draw(st.integers(min_value=1, max_value=10**6))
    if name == "recipient_kind":
        return PartnerKind.CUSTOMERS
    return not current


@BOUNDED
@given(data=st.data())
def test_locked_fields_never_change_through_save(town, vendor, data):
    name = data.draw(st.sampled_from(LOCKED_FIELDS))
    with rolled_back():
        message = sent_message(sender=town, recipients=[vendor], title="Titre envoyé")
        stored = Message.objects.values(*LOCKED_FIELDS).get(pk=message.pk)
        new_value = _changed_value(message, name, data.draw, PublicStructureFactory())
        setattr(message, name, new_value)

        with pytest.raises(ValidationError):
            message.save()

        assert Message.objects.values(*LOCKED_FIELDS).get(pk=message.pk) == stored


@BOUNDED
@given(offset=st.integers(min_value=-60, max_value=60))
def test_sent_end_date_not_before_today(town, vendor, offset):
    new_end = _today() + offset * DAY
    with rolled_back():
        message = sent_message(sender=town, recipients=[vendor])
        original_end = message.display_end
        message.display_end = new_end

        if new_end >= _today():
            message.save()
        else:
            with pytest.raises(ValidationError):
                message.save()

        message.refresh_from_db()
        assert message.display_end == (new_end if new_end >= _today() else original_end)


# ---------- References and recipient keys ----------


@BOUNDED
@given(number=st.integers(min_value=1, max_value=999_999_999))
def test_reference_round_trips(number):
    reference = format_reference(number)
    converter = ReferenceConverter()

    assert re.fullmatch(converter.regex, reference)
    assert parse_reference(reference) == number
    assert converter.to_python(converter.to_url(number)) == number
    assert ReferenceField().clean(reference) == number


@BOUNDED
@given(text=any_text)
def test_reference_field_raises_only_validation_errors(text):
    try:
        number = ReferenceField().to_python(text)
    except ValidationError:
        return
    assert number is None or 0 <= number <= 999_999_999


@BOUNDED
@given(text=any_text)
def test_any_recipient_key_parses_or_is_refused(text):
    recipient = parse_recipient_key(text)

    if recipient is not None:
        assert 0 <= recipient.structure_id < 2**63
        assert recipient.service_id is None or 0 <= recipient.service_id < 2**63


@BOUNDED
@given(
    structure_id=st.integers(min_value=1, max_value=10**18 - 1),
    service_id=st.none() | st.integers(min_value=1, max_value=10**18 - 1),
)
def test_recipient_key_round_trips(structure_id, service_id):
    recipient = parse_recipient_key(recipient_key(structure_id, service_id))

    assert (recipient.structure_id, recipient.service_id) == (structure_id, service_id)
