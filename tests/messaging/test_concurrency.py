"""Races between requests, on PostgreSQL where row locks are real."""

import threading

import pytest
from django.db import connection

from messaging.models import Message, MessageEvent
from messaging.sending import Recipient, send, set_draft_recipients
from tests.factories import DraftFactory, PublicStructureFactory, StructureFactory, partners

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def _run_in_threads(count, target):
    """Start `count` threads on `target` at once; return the results and errors."""
    barrier = threading.Barrier(count)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(target())
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


def test_parallel_sends_of_one_draft_send_once():
    town = PublicStructureFactory()
    vendors = StructureFactory.create_batch(3)
    for vendor in vendors:
        partners(vendor, town)
    message = DraftFactory(sender=town, all_recipients=True)
    set_draft_recipients(message, [Recipient(vendors[0].pk)])

    results, errors = _run_in_threads(8, lambda: send(Message.objects.get(pk=message.pk), by=None))

    assert errors == []
    assert sorted(results) == [False] * 7 + [True]
    assert message.deliveries.count() == 3
    assert MessageEvent.objects.filter(message=message, action="sent").count() == 1


def test_parallel_creations_get_distinct_increasing_references():
    town = PublicStructureFactory()

    results, errors = _run_in_threads(20, lambda: DraftFactory(sender=town).pk)

    assert errors == []
    assert len(set(results)) == 20
    # Concurrent creations have no order among themselves; a later one comes after all.
    assert DraftFactory(sender=town).pk > max(results)
