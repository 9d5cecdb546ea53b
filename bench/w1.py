"""The W1 workload: django-postman's benchmark shape, in structures instead of users.

Every structure has one user and every message one delivery. The reader's
messages are drawn among those created in the last 120 days, and all of them
are displayed today. The other messages go between random partners and are
displayed for a few weeks after their creation. None of them reaches the reader.
"""

import datetime
import itertools
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from bench import rows, vocabulary
from bench.identifiers import siret
from messaging.models import Delivery, DeliverySource, Message, MessageEvent
from structures.models import Invoice, Membership, Partner, Structure
from structures.partners import rebuild_partners

READER_USERNAME = "bench-w1-reader"
READER_DESIGNATION = "LECTEUR W1 SA"
_SPAN = datetime.timedelta(days=365)
_READER_WINDOW_DAYS = 120
_DURATIONS = (7, 14, 14, 30)
_READ_SHARE_OTHERS = 0.7


def w1_tables() -> list[str]:
    """Return the tables that the W1 generator empties and fills."""
    models = (
        get_user_model(),
        Structure,
        Membership,
        Invoice,
        Partner,
        Message,
        Delivery,
        MessageEvent,
    )
    return [model._meta.db_table for model in models]


class W1Generator:
    """Fills the W1 workload of `shape` through `loader`, in the caller's transaction."""

    def __init__(self, shape, loader, *, seed: int = 1, now=None):
        self.shape = shape
        self.loader = loader
        self.rng = random.Random(seed)
        self.now = now or timezone.now()
        self.today = timezone.localdate(self.now)
        self.public = range(1, shape.public_structures + 1)
        self.private = range(shape.public_structures + 1, shape.structures + 1)
        self.reader = self.private[0]
        self.reader_senders: list[int] = []
        self.suppliers_of: dict[int, list[int]] = {}

    def generate(self) -> None:
        step = self.loader.step
        with step("structures, users and memberships") as current:
            current.rows = self._load_structures_and_users()
        with step("invoices") as current:
            current.rows = self.loader.copy(
                Invoice._meta.db_table, rows.INVOICE_COLUMNS, self._invoice_lines()
            )
        with step("partners rebuilt from invoices") as current:
            current.rows = rebuild_partners()
        plan = self._plan_messages()
        with step("messages") as current:
            current.rows = self.loader.copy(
                Message._meta.db_table, rows.MESSAGE_COLUMNS, self._message_lines(plan)
            )
        with step("deliveries") as current:
            current.rows = self.loader.copy(
                Delivery._meta.db_table, rows.DELIVERY_COLUMNS, self._delivery_lines(plan)
            )
        with step("message events") as current:
            current.rows = self.loader.copy(
                MessageEvent._meta.db_table, rows.EVENT_COLUMNS, self._event_lines(plan)
            )

    def _load_structures_and_users(self) -> int:
        columns = rows.structure_columns()
        count = self.loader.copy(
            Structure._meta.db_table,
            columns,
            self._structure_lines(folded=len(columns) > len(rows.STRUCTURE_COLUMNS)),
        )
        joined = rows.timestamp(self.now)
        user_lines = (
            rows.user_line(
                structure_id,
                READER_USERNAME if structure_id == self.reader else f"w1user{structure_id:05d}",
                "Camille",
                "Lecteur",
                joined,
            )
            for structure_id in range(1, self.shape.structures + 1)
        )
        self.loader.copy(get_user_model()._meta.db_table, rows.USER_COLUMNS, user_lines)
        membership_lines = (
            rows.membership_line(structure_id, structure_id, structure_id)
            for structure_id in range(1, self.shape.structures + 1)
        )
        self.loader.copy(Membership._meta.db_table, rows.MEMBERSHIP_COLUMNS, membership_lines)
        return count

    def _structure_lines(self, *, folded):
        for serial, structure_id in enumerate(itertools.chain(self.public, self.private)):
            public = structure_id in self.public
            number = serial if public else serial - len(self.public)
            city, postal_code = vocabulary.CITIES[serial % len(vocabulary.CITIES)]
            if structure_id == self.reader:
                designation = READER_DESIGNATION
            elif public:
                designation = f"COMMUNE W1 {number}"
            else:
                designation = f"ENTREPRISE W1 {number}"
            yield rows.structure_line(
                structure_id,
                siret(number, public=public),
                designation,
                public=public,
                manages_services=False,
                address="1 place de la Mairie",
                postal_code=postal_code,
                city=city,
                folded=folded,
            )

    def _invoice_lines(self):
        """Yield one invoice per pair: the reader's senders, then a few customers per company."""
        rng = self.rng
        self.reader_senders = rng.sample(self.public, self.shape.reader_senders)
        pairs = [(self.reader, customer) for customer in self.reader_senders]
        per_supplier = min(self.shape.customers_per_supplier, len(self.public))
        for supplier in self.private[1:]:
            for customer in rng.sample(self.public, per_supplier):
                pairs.append((supplier, customer))
        issued_on = self.today - datetime.timedelta(days=30)
        for invoice_id, (supplier, customer) in enumerate(pairs, 1):
            self.suppliers_of.setdefault(customer, []).append(supplier)
            yield rows.invoice_line(invoice_id, supplier, customer, None, issued_on)

    def _plan_messages(self) -> list[tuple[int, int, bool, datetime.date, datetime.date]]:
        """Return (sender, recipient, unread, display start, display end) per message id."""
        shape, rng, today = self.shape, self.rng, self.today
        window_first = round(shape.messages * (1 - _READER_WINDOW_DAYS / _SPAN.days))
        window_first = min(window_first, shape.messages - shape.reader_messages)
        reader_ids = set(rng.sample(range(window_first, shape.messages), shape.reader_messages))
        senders = itertools.cycle(self.reader_senders)
        customers = [
            c for c in self.public if any(s != self.reader for s in self.suppliers_of.get(c, []))
        ]
        unread_reader = shape.unread_percent / 100
        plan = []
        for index in range(shape.messages):
            created = self._created_on(index)
            if index in reader_ids:
                start = min(today, created + datetime.timedelta(days=rng.randint(0, 3)))
                end = today + datetime.timedelta(days=rng.randint(30, 365))
                plan.append((next(senders), self.reader, rng.random() < unread_reader, start, end))
                continue
            sender = rng.choice(customers)
            recipient = rng.choice([s for s in self.suppliers_of[sender] if s != self.reader])
            start = created + datetime.timedelta(days=rng.randint(0, 3))
            end = start + datetime.timedelta(days=rng.choice(_DURATIONS))
            unread = rng.random() >= _READ_SHARE_OTHERS
            plan.append((sender, recipient, unread, start, end))
        return plan

    def _created_at(self, index: int) -> datetime.datetime:
        return self.now - _SPAN + index * (_SPAN / self.shape.messages)

    def _created_on(self, index: int) -> datetime.date:
        return timezone.localdate(self._created_at(index))

    def _message_lines(self, plan):
        content = rows.MessageText(vocabulary.TITLES, vocabulary.SENTENCES)
        for index, (sender, _recipient, _unread, start, end) in enumerate(plan):
            created = self._created_at(index)
            yield rows.message_line(
                index + 1,
                sender_id=sender,
                sender_service_id=None,
                kind="suppliers",
                all_recipients=False,
                content=content.pick(self.rng),
                display=(start, end),
                sent=rows.timestamp(created + datetime.timedelta(minutes=10)),
                created_at=rows.timestamp(created),
                author_id=sender,
            )

    def _delivery_lines(self, plan):
        for index, (sender, recipient, unread, start, end) in enumerate(plan):
            created = self._created_at(index)
            added = created + datetime.timedelta(minutes=10)
            read = None if unread else rows.timestamp(created + datetime.timedelta(days=1))
            copies = rows.display_copies(added, (start, end), sender)
            yield rows.delivery_line(
                index + 1,
                index + 1,
                recipient,
                None,
                DeliverySource.TYPED,
                rows.timestamp(added),
                read,
                copies,
            )

    def _event_lines(self, plan):
        for index, (sender, *_rest) in enumerate(plan):
            sent = rows.timestamp(self._created_at(index) + datetime.timedelta(minutes=10))
            yield rows.event_line(index + 1, index + 1, "sent", sender, sent, {"recipients": 1})
