import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from messaging.models import Message, format_reference, parse_reference
from tests.factories import DraftFactory, PublicStructureFactory, StructureFactory, sent_message

pytestmark = pytest.mark.django_db


def _today():
    return timezone.localdate()


@pytest.fixture
def message():
    return sent_message(recipients=[StructureFactory()])


def test_reference_has_prefix_and_nine_digits():
    assert format_reference(184) == "MSG_000000184"
    assert parse_reference("msg_000000184 ") == 184
    assert parse_reference("MSG_184") is None


def test_references_increase():
    first, second = DraftFactory(), DraftFactory()

    assert second.reference > first.reference


def test_reference_of_deleted_draft_is_not_reused():
    first = DraftFactory()
    number = first.pk
    first.delete()

    assert DraftFactory().pk > number


def test_sent_title_cannot_change(message):
    message.title = "Autre titre"

    with pytest.raises(ValidationError):
        message.save()


def test_sent_body_cannot_change_through_clean(message):
    message.body = "Nouveau texte"

    with pytest.raises(ValidationError):
        message.full_clean()


def test_sent_end_date_can_move(message):
    message.display_end = _today() + datetime.timedelta(days=30)

    message.save()

    message.refresh_from_db()
    assert message.display_end == _today() + datetime.timedelta(days=30)


def test_sent_end_date_cannot_go_before_today(message):
    Message.objects.filter(pk=message.pk).update(
        display_start=_today() - datetime.timedelta(days=5)
    )
    message.refresh_from_db()
    message.display_end = _today() - datetime.timedelta(days=1)

    with pytest.raises(ValidationError) as error:
        message.save()
    assert "display_end" in error.value.message_dict


def test_sent_end_date_can_be_today(message):
    message.display_end = _today()

    message.save()


def test_started_display_locks_start_date(message):
    message.display_start = _today() + datetime.timedelta(days=1)

    with pytest.raises(ValidationError) as error:
        message.save()
    assert "display_start" in error.value.message_dict


def test_future_start_date_can_move():
    future = _today() + datetime.timedelta(days=3)
    message = sent_message(
        recipients=[StructureFactory()],
        display_start=future,
        display_end=future + datetime.timedelta(days=5),
    )
    message.display_start = future + datetime.timedelta(days=1)

    message.save()


def test_future_start_cannot_move_into_the_past():
    future = _today() + datetime.timedelta(days=3)
    message = sent_message(
        recipients=[StructureFactory()],
        display_start=future,
        display_end=future + datetime.timedelta(days=5),
    )
    message.display_start = _today() - datetime.timedelta(days=1)

    with pytest.raises(ValidationError):
        message.save()


def test_expired_message_is_read_only(message):
    past = _today() - datetime.timedelta(days=10)
    Message.objects.filter(pk=message.pk).update(
        display_start=past, display_end=past + datetime.timedelta(days=9)
    )
    message.refresh_from_db()
    message.display_end = _today() + datetime.timedelta(days=5)

    with pytest.raises(ValidationError, match="plus modifiable"):
        message.save()


def test_sent_message_cannot_go_back_to_draft(message):
    message.status = "draft"

    with pytest.raises(ValidationError):
        message.save()


def test_end_before_start_is_invalid():
    message = DraftFactory.build(
        sender=PublicStructureFactory(),
        display_start=_today() + datetime.timedelta(days=2),
        display_end=_today(),
    )

    with pytest.raises(ValidationError) as error:
        message.full_clean()
    assert "display_end" in error.value.message_dict


def test_database_rejects_end_before_start():
    message = DraftFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.filter(pk=message.pk).update(
            display_end=message.display_start - datetime.timedelta(days=1)
        )


def test_database_rejects_incomplete_sent_message():
    message = DraftFactory(title="")

    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.filter(pk=message.pk).update(status="sent")


@pytest.mark.parametrize("length", [49, 50])
def test_title_up_to_fifty_characters_is_valid(length):
    message = DraftFactory.build(sender=PublicStructureFactory(), title="é" * length)

    message.full_clean()


def test_title_of_fifty_one_characters_is_invalid():
    message = DraftFactory.build(sender=PublicStructureFactory(), title="🙂" * 51)

    with pytest.raises(ValidationError) as error:
        message.full_clean()
    assert "title" in error.value.message_dict


def test_crlf_counts_as_one_character():
    body = ("é" * 9 + "\r\n") * 200  # 2,000 characters once CRLF becomes LF

    message = DraftFactory.build(sender=PublicStructureFactory(), body=body)
    message.full_clean()

    assert len(message.body) == 2000


def test_body_of_2001_characters_is_invalid():
    message = DraftFactory.build(sender=PublicStructureFactory(), body="a" * 2001)

    with pytest.raises(ValidationError) as error:
        message.full_clean()
    assert "body" in error.value.message_dict


def test_database_rejects_title_over_fifty_characters():
    message = DraftFactory()

    # PostgreSQL's varchar(50) raises DataError before the check constraint runs.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        Message.objects.filter(pk=message.pk).update(title="x" * 51)


def test_title_with_a_line_break_is_invalid():
    message = DraftFactory.build(sender=PublicStructureFactory(), title="Fermeture\r\nannuelle")

    with pytest.raises(ValidationError) as error:
        message.full_clean()
    assert "title" in error.value.message_dict
