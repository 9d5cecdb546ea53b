"""RowsByKey pages: the same rows whichever end of the sort order it reads keys from."""

import datetime

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from messaging.models import Message
from messaging.tables import RowsByKey
from tests.factories import DraftFactory, PublicStructureFactory

pytestmark = pytest.mark.django_db

ORDERINGS = [
    ("pk",),
    ("-pk",),
    ("title", "pk"),
    ("-title", "-pk"),
    (F("display_start").asc(nulls_last=True), "pk"),
    (F("display_start").desc(nulls_last=True), "-pk"),
]


def counted_rows(queryset) -> RowsByKey:
    """Return RowsByKey with its length known, as after the table's paginator counted it."""
    rows = RowsByKey(queryset)
    rows._length = queryset.count()
    return rows


@pytest.fixture
def messages():
    """Eleven drafts with repeated titles and start dates, three without a start date."""
    town = PublicStructureFactory()
    today = timezone.localdate()
    for number in range(11):
        draft = DraftFactory(sender=town, title=f"Annonce {number % 4}")
        start = None if number % 4 == 3 else today + datetime.timedelta(days=number % 3)
        end = None if start is None else start + datetime.timedelta(days=10)
        Message.objects.filter(pk=draft.pk).update(display_start=start, display_end=end)
    return Message.objects.filter(sender=town)


@pytest.mark.parametrize("ordering", ORDERINGS, ids=str)
def test_every_page_matches_queryset(messages, ordering):
    queryset = messages.order_by(*ordering)
    expected = [message.pk for message in queryset]
    rows = counted_rows(queryset)

    for start in range(11):
        for size in (1, 3, 5):
            page = [message.pk for message in rows[start : start + size]]
            assert page == expected[start : start + size], (start, size)


def test_late_page_reads_keys_backwards(messages):
    rows = counted_rows(messages.order_by("pk"))

    with CaptureQueriesContext(connection) as early:
        rows[3:6]
    with CaptureQueriesContext(connection) as late:
        rows[9:11]

    assert "OFFSET 3" in early[0]["sql"]
    assert "OFFSET" not in late[0]["sql"]
    assert "DESC" in late[0]["sql"]


def test_uncounted_rows_read_forwards(messages):
    rows = RowsByKey(messages.order_by("pk"))

    with CaptureQueriesContext(connection) as queries:
        page = rows[9:11]

    assert len(queries) == 1
    assert "OFFSET 9" in queries[0]["sql"]
    assert len(page) == 2
