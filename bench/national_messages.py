"""Messages, deliveries and the audit trail of the national data set.

Message ids follow creation time over five years, as a sequence gives them.
Each message gets a role, then a number of recipients, and the total is
adjusted to the shape's delivery count exactly. The roles that scenarios
rely on are:

- the ministry's Outbox and its broadcasts to all its suppliers, the last
  one displayed today (the message detail with the most recipients);
- the reader's Mailbox: messages from the reader's customers, of which
  `reader_displayed` are displayed today and the others ended.

No other message reaches the reader, so its Mailbox contains exactly those.
"""

import bisect
import datetime
import itertools
import math
from array import array
from dataclasses import dataclass

from django.utils import timezone

from bench import rows, vocabulary
from bench.population import pair_key
from messaging.models import Delivery, DeliverySource, Message, MessageEvent

_SPAN = datetime.timedelta(days=5 * 365)
_DURATIONS = (7, 14, 14, 14, 14, 30, 30, 60, 90)
_DRAFT_SHARE = 0.03
# "All my recipients" is offered to senders with at most this many partners;
# larger senders choose their recipients, except the ministry's broadcasts.
_ALL_RECIPIENTS_MAX = 2_000
_RECENT_DAYS = 60
_OLD_DAYS = 120
_READ_SHARE_PAST = 0.75
_READ_SHARE_DISPLAYED = 0.6
_SERVICE_DELIVERY_SHARE = 0.5

# Message roles.
GENERAL, MINISTRY, BROADCAST, READER_DISPLAYED, READER_PAST, DRAFT = range(6)


@dataclass
class MessagePlan:
    """Column arrays indexed by message id minus one."""

    role: bytearray
    sender: array
    kind: bytearray  # 1 for messages to suppliers, 0 to customers
    fanout: array
    all_recipients: bytearray
    start: array  # display start as a date ordinal, 0 for none
    end: array


class MessageGenerator:
    """Plans and loads the messages, deliveries and events of the national data set."""

    def __init__(self, shape, population, loader, rng, now):
        self.shape = shape
        self.population = population
        self.loader = loader
        self.rng = rng
        self.now = now
        self.today = timezone.localdate(now)
        count = shape.messages
        self.first_created = now - _SPAN
        self.seconds_per_message = _SPAN.total_seconds() / count
        self.creation_days = self._creation_days()
        self.reader_customers = set(population.customers_of[population.reader])
        self.plan = MessagePlan(
            role=bytearray(count),
            sender=array("q", bytes(8 * count)),
            kind=bytearray(count),
            fanout=array("q", bytes(8 * count)),
            all_recipients=bytearray(count),
            start=array("q", bytes(8 * count)),
            end=array("q", bytes(8 * count)),
        )

    def generate(self) -> None:
        step = self.loader.step
        with step("messages planned in memory") as current:
            self._assign_roles()
            self._assign_senders_and_fanouts()
            self._adjust_fanouts(self.shape.deliveries)
            current.rows = len(self.plan.role)
        with step("messages") as current:
            current.rows = self.loader.copy(
                Message._meta.db_table, rows.MESSAGE_COLUMNS, self._message_lines()
            )
        with step("deliveries") as current:
            current.rows = self.loader.copy(
                Delivery._meta.db_table, rows.DELIVERY_COLUMNS, self._delivery_lines()
            )
        with step("message events") as current:
            current.rows = self.loader.copy(
                MessageEvent._meta.db_table, rows.EVENT_COLUMNS, self._event_lines()
            )

    # ---------- Time ----------

    def created_at(self, message_id: int) -> datetime.datetime:
        return self.first_created + datetime.timedelta(
            seconds=(message_id - 1) * self.seconds_per_message
        )

    def created_on(self, message_id: int) -> datetime.date:
        """Return the creation day of a message in the current time zone (Europe/Paris)."""
        return datetime.date.fromordinal(self.creation_days[message_id - 1])

    def _creation_days(self) -> array:
        """Return the local creation day ordinal of every message, one time zone lookup a day.

        Message k (from 0) is created at first_created + k * seconds_per_message,
        so the first message of a day is the one after that day's local midnight.
        """
        count = self.shape.messages
        days = array("q", bytes(8 * count))
        day = timezone.localdate(self.first_created)
        first = 0
        while first < count:
            next_day = day + datetime.timedelta(days=1)
            midnight = timezone.make_aware(datetime.datetime.combine(next_day, datetime.time()))
            offset = (midnight - self.first_created).total_seconds() / self.seconds_per_message
            last = min(count, max(first, math.ceil(offset)))
            days[first:last] = array("q", [day.toordinal()]) * (last - first)
            first, day = last, next_day
        return days

    # ---------- Roles, senders, display periods, fan-outs ----------

    def _assign_roles(self) -> None:
        """Mark drafts, the reader's messages and the ministry's, by creation date."""
        shape, plan = self.shape, self.plan
        ids = range(1, shape.messages + 1)
        # Creation dates grow with ids, so date ranges are id ranges.
        recent_first = bisect.bisect_left(
            ids, self.today - datetime.timedelta(days=_RECENT_DAYS), key=self.created_on
        )
        today_first = bisect.bisect_left(ids, self.today, key=self.created_on)
        old_end = bisect.bisect_left(
            ids, self.today - datetime.timedelta(days=_OLD_DAYS), key=self.created_on
        )
        free = set(ids)
        recent = ids[recent_first:today_first]
        old = ids[:old_end]
        broadcasts = shape.ministry_broadcasts
        self._take(recent, broadcasts and 1, BROADCAST, free)
        self._take(recent, shape.reader_displayed, READER_DISPLAYED, free)
        self._take(old, shape.reader_messages - shape.reader_displayed, READER_PAST, free)
        self._take(old, broadcasts - 1, BROADCAST, free)
        # One recent ministry message, displayed today, receives the added recipients.
        self._take(recent, 1, MINISTRY, free)
        self._take(sorted(free), shape.ministry_messages - broadcasts - 1, MINISTRY, free)
        drafts = round(len(free) * _DRAFT_SHARE)
        self._take(sorted(free), drafts, DRAFT, free)
        for message_id in free:
            plan.role[message_id - 1] = GENERAL

    def _take(self, candidates, count, role, free) -> None:
        """Give `role` to `count` of `candidates` still free; take the newest free ids if short."""
        available = [i for i in candidates if i in free]
        if len(available) < count:
            available = sorted(free)[-count:] if count else []
        for message_id in self.rng.sample(available, count):
            self.plan.role[message_id - 1] = role
            free.discard(message_id)

    def _assign_senders_and_fanouts(self) -> None:
        population, plan = self.population, self.plan
        pick_public, pick_company = self._sender_pickers()
        reader_customers = sorted(self.reader_customers)
        for index, role in enumerate(plan.role):
            message_id = index + 1
            if role in (MINISTRY, BROADCAST):
                sender, to_suppliers = population.ministry, True
            elif role in (READER_DISPLAYED, READER_PAST):
                sender, to_suppliers = self.rng.choice(reader_customers), True
            elif self.rng.random() < 0.7:
                sender, to_suppliers = pick_public(), True
            else:
                sender, to_suppliers = pick_company(), False
            plan.sender[index] = sender
            plan.kind[index] = to_suppliers
            self._set_display(index, message_id, role)
            self._set_fanout(index, role)

    def _sender_pickers(self):
        """Return functions drawing a public sender (by partner count) and a company sender."""
        population, rng = self.population, self.rng
        # A customer of the reader must keep a supplier once the reader is left out.
        publics = [
            s
            for s in population.public[1:]
            if len(population.suppliers_of[s]) > (s in self.reader_customers)
        ] or [population.ministry]
        weights = list(
            itertools.accumulate(len(population.suppliers_of[s]) ** 0.5 for s in publics)
        )
        companies = [s for s in population.private if population.customers_of[s]]

        def pick_public():
            return publics[bisect.bisect(weights, rng.random() * weights[-1])]

        def pick_company():
            return rng.choice(companies)

        return pick_public, pick_company

    def _set_display(self, index, message_id, role) -> None:
        """Set the display period: drafts may have none; the reader's follow its two sets."""
        rng, plan, today = self.rng, self.plan, self.today
        created = self.created_on(message_id)
        if role == DRAFT:
            if rng.random() < 0.5:
                start = today + datetime.timedelta(days=rng.randint(1, 30))
                plan.start[index], plan.end[index] = start.toordinal(), start.toordinal() + 14
            return
        recent = created >= today - datetime.timedelta(days=_RECENT_DAYS)
        if recent and role in (READER_DISPLAYED, BROADCAST, MINISTRY):
            start = created + datetime.timedelta(days=rng.randint(0, (today - created).days))
            end = today + datetime.timedelta(days=rng.randint(30, 365))
        else:
            start = created + datetime.timedelta(days=rng.randint(0, 7))
            end = start + datetime.timedelta(days=rng.choice(_DURATIONS))
            if role == READER_PAST:
                end = min(end, today - datetime.timedelta(days=1))
        plan.start[index], plan.end[index] = start.toordinal(), end.toordinal()

    def _set_fanout(self, index, role) -> None:
        plan = self.plan
        if role == DRAFT:
            return
        available = self._available(index)
        if role == BROADCAST:
            plan.fanout[index], plan.all_recipients[index] = available, 1
            return
        draw = self.rng.random()
        may_be_all = (
            role == GENERAL
            and available <= _ALL_RECIPIENTS_MAX
            and plan.sender[index] not in self.reader_customers
        )
        if draw >= 0.98 and may_be_all:
            plan.fanout[index], plan.all_recipients[index] = available, 1
            return
        if draw < 0.55:
            wanted = self.rng.randint(1, 3)
        elif draw < 0.85:
            wanted = self.rng.randint(4, 15)
        else:
            wanted = self.rng.randint(16, 60)
        plan.fanout[index] = max(1, min(wanted, available))

    def _partners(self, index) -> list[int]:
        sender = self.plan.sender[index]
        if self.plan.kind[index]:
            return self.population.suppliers_of[sender]
        return self.population.customers_of[sender]

    def _available(self, index) -> int:
        """Return how many recipients message `index` may have.

        The reader's messages include the reader; other messages of its
        customers must leave it out, so that its Mailbox holds only its own.
        """
        partners = len(self._partners(index))
        role = self.plan.role[index]
        if role not in (READER_DISPLAYED, READER_PAST) and self._may_reach_reader(index):
            return partners - 1
        return partners

    def _may_reach_reader(self, index) -> bool:
        return self.plan.kind[index] == 1 and self.plan.sender[index] in self.reader_customers

    def _adjust_fanouts(self, target: int) -> None:
        """Scale the chosen fan-outs, then move single recipients, until the total is `target`.

        "All my recipients" messages keep every partner; the others keep at
        least one recipient and at most what their sender can reach.
        """
        plan = self.plan
        adjustable = [
            i for i, role in enumerate(plan.role) if role != DRAFT and not plan.all_recipients[i]
        ]
        fixed = sum(plan.fanout) - sum(plan.fanout[i] for i in adjustable)
        wanted = target - fixed
        caps = {i: max(1, self._available(i)) for i in adjustable}
        if not len(adjustable) <= wanted <= sum(caps.values()):
            raise ValueError(
                f"cannot spread {wanted:,} deliveries over {len(adjustable):,} messages; "
                "change the shape's delivery or message count"
            )
        for _ in range(5):
            current = sum(plan.fanout[i] for i in adjustable)
            if current == wanted:
                return
            ratio = wanted / current
            for i in adjustable:
                plan.fanout[i] = max(1, min(caps[i], round(plan.fanout[i] * ratio)))
        self._adjust_one_by_one(adjustable, caps, wanted)

    def _adjust_one_by_one(self, adjustable, caps, wanted) -> None:
        plan, rng = self.plan, self.rng
        difference = wanted - sum(plan.fanout[i] for i in adjustable)
        step = 1 if difference > 0 else -1
        while difference:
            i = rng.choice(adjustable)
            new = plan.fanout[i] + step
            if 1 <= new <= caps[i]:
                plan.fanout[i] = new
                difference -= step

    # ---------- Lines ----------

    def _message_lines(self):
        population, plan, rng = self.population, self.plan, self.rng
        content = rows.MessageText(vocabulary.TITLES, vocabulary.SENTENCES)
        for index, role in enumerate(plan.role):
            message_id = index + 1
            sender = plan.sender[index]
            services = population.services_of.get(sender)
            service = rng.choice(services) if services and rng.random() < 0.3 else None
            created = self.created_at(message_id)
            yield rows.message_line(
                message_id,
                sender_id=sender,
                sender_service_id=service,
                kind="suppliers" if plan.kind[index] else "customers",
                all_recipients=bool(plan.all_recipients[index]),
                content=content.pick(rng),
                display=self._display(index),
                sent=None if role == DRAFT else self._sent_at(created),
                created_at=rows.timestamp(created),
                author_id=population.first_user.get(sender),
            )

    def _display(self, index):
        """Return the display period (start, end) of message `index`, or None."""
        if not self.plan.start[index]:
            return None
        return (
            datetime.date.fromordinal(self.plan.start[index]),
            datetime.date.fromordinal(self.plan.end[index]),
        )

    @staticmethod
    def _sent_at(created: datetime.datetime) -> str:
        return rows.timestamp(created + datetime.timedelta(minutes=10))

    def _delivery_lines(self):
        plan = self.plan
        delivery_id = itertools.count(1)
        today = self.today.toordinal()
        for index, role in enumerate(plan.role):
            if role == DRAFT:
                continue
            message_id = index + 1
            created = self.created_at(message_id)
            sent = created + datetime.timedelta(minutes=10)
            added = rows.timestamp(sent)
            copies = rows.display_copies(sent, self._display(index), plan.sender[index])
            read = rows.timestamp(created + datetime.timedelta(days=1, hours=3))
            if plan.start[index] > today:
                read_share = 0.0
            elif plan.end[index] < today:
                read_share = _READ_SHARE_PAST
            else:
                read_share = _READ_SHARE_DISPLAYED
            source = DeliverySource.ALL if plan.all_recipients[index] else None
            for recipient, service in self._recipients(index, role):
                yield rows.delivery_line(
                    next(delivery_id),
                    message_id,
                    recipient,
                    service,
                    source or self._chosen_source(),
                    added,
                    read if self.rng.random() < read_share else None,
                    copies,
                )

    def _chosen_source(self) -> str:
        draw = self.rng.random()
        if draw < 0.7:
            return DeliverySource.TYPED
        if draw < 0.9:
            return DeliverySource.SEARCH
        return DeliverySource.MAILING_LIST

    def _recipients(self, index, role):
        """Yield (structure, service or None) for each delivery of message `index`."""
        plan, rng = self.plan, self.rng
        reader = self.population.reader
        partners = self._partners(index)
        count = plan.fanout[index]
        if plan.all_recipients[index]:
            chosen = list(partners)
        elif role in (READER_DISPLAYED, READER_PAST):
            others = [p for p in rng.sample(partners, min(count + 1, len(partners))) if p != reader]
            chosen = [reader, *others[: count - 1]]
        elif self._may_reach_reader(index):
            sample = rng.sample(partners, min(count + 1, len(partners)))
            chosen = [p for p in sample if p != reader][:count]
        else:
            chosen = rng.sample(partners, count)
        sender = plan.sender[index]
        for recipient in chosen:
            yield recipient, self._recipient_service(sender, recipient, index)

    def _recipient_service(self, sender, recipient, index):
        """Return a service of a public recipient that the pair's invoices name, sometimes."""
        if self.plan.kind[index]:
            return None
        service = self.population.invoiced_service.get(pair_key(sender, recipient))
        if service and self.rng.random() < _SERVICE_DELIVERY_SHARE:
            return service
        return None

    def _event_lines(self):
        population, plan = self.population, self.plan
        for index, role in enumerate(plan.role):
            message_id = index + 1
            created = self.created_at(message_id)
            author = population.first_user.get(plan.sender[index])
            if role == DRAFT:
                yield rows.event_line(
                    message_id, message_id, "created", author, rows.timestamp(created), {}
                )
            else:
                details = {"recipients": plan.fanout[index]}
                yield rows.event_line(
                    message_id, message_id, "sent", author, self._sent_at(created), details
                )
