"""The national data set: structures, services, users, invoices and partners, mailing lists.

Ids are assigned here, not by sequences: public bodies come first (the
ministry is id 1), then companies (the reader, then the big suppliers).
Skew follows a Zipf-like weight 1 / (rank + 50) over public bodies, so that
a few bodies have thousands of suppliers and most have a handful. The
ministry's suppliers are drawn apart and outnumber every other body's.
Messages and deliveries are in `bench.national_messages`.
"""

import bisect
import datetime
import itertools
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from bench import rows, vocabulary
from bench.identifiers import siret
from bench.national_messages import MessageGenerator
from bench.population import Population, pair_key
from mailing_lists.models import MailingList, Member
from messaging.models import Delivery, Message, MessageEvent
from structures.models import Invoice, Membership, Partner, Service, Structure
from structures.partners import rebuild_partners

MINISTRY_USERNAME = "bench-ministry"
READER_USERNAME = "bench-reader"
MINISTRY_DESIGNATION = "MINISTERE DE L'ECONOMIE ET DES FINANCES"
READER_DESIGNATION = "FOURNITURES ET SERVICES NATIONAUX SA"
# Public ranks are offset by this in the 1 / (rank + offset) weight: without it
# the largest bodies after the ministry would have more suppliers than the ministry.
_RANK_OFFSET = 50
# Share of invoices that name a service of the public customer.
_SERVICE_INVOICE_SHARE = 0.1


def national_tables() -> list[str]:
    """Return the tables that the national generator empties and fills."""
    models = (
        get_user_model(),
        Structure,
        Service,
        Membership,
        Invoice,
        Partner,
        Message,
        Delivery,
        MessageEvent,
        MailingList,
        Member,
    )
    return [model._meta.db_table for model in models]


def _rank_weights(count: int) -> list[float]:
    """Return cumulative weights 1 / (rank + offset) for `count` ranks."""
    return list(itertools.accumulate(1 / (rank + _RANK_OFFSET) for rank in range(count)))


class NationalGenerator:
    """Fills the national data set of `shape` through `loader`, in the caller's transaction."""

    def __init__(self, shape, loader, *, seed: int = 1, now=None):
        self.shape = shape
        self.loader = loader
        self.rng = random.Random(seed)
        self.now = now or timezone.now()
        self.today = timezone.localdate(self.now)
        public = range(1, shape.public_structures + 1)
        private = range(shape.public_structures + 1, shape.structures + 1)
        self.population = Population(
            public=public,
            private=private,
            ministry=public[0],
            reader=private[0],
            big_suppliers=list(private[1 : 1 + shape.big_suppliers]),
            suppliers_of=[[] for _ in range(shape.structures + 1)],
            customers_of=[[] for _ in range(shape.structures + 1)],
        )
        # Adjacency lists share these int objects instead of holding millions of copies.
        self._ids = list(range(shape.structures + 1))
        self.structure_columns = rows.structure_columns()

    def generate(self) -> None:
        step = self.loader.step
        self._plan_services()
        with step("structures") as current:
            current.rows = self.loader.copy(
                Structure._meta.db_table, self.structure_columns, self._structure_lines()
            )
        with step("services") as current:
            current.rows = self.loader.copy(
                Service._meta.db_table, rows.SERVICE_COLUMNS, self._service_lines()
            )
        with step("users and memberships") as current:
            current.rows = self._load_users()
        with step("partner pairs (planned in memory)") as current:
            current.rows = self._plan_pairs()
        with step("invoices") as current:
            current.rows = self.loader.copy(
                Invoice._meta.db_table, rows.INVOICE_COLUMNS, self._invoice_lines()
            )
        with step("partners rebuilt from invoices") as current:
            current.rows = rebuild_partners()
        MessageGenerator(self.shape, self.population, self.loader, self.rng, self.now).generate()
        with step("mailing lists and members") as current:
            current.rows = self._load_mailing_lists()

    # ---------- Structures and services ----------

    def _plan_services(self) -> None:
        """Decide how many services each public body has: the ministry's, then by rank."""
        shape, population = self.shape, self.population
        others = population.public[1:]
        counts = {population.ministry: min(shape.ministry_services, shape.services)}
        remaining = shape.services - counts[population.ministry]
        weights = _rank_weights(len(others))
        total = weights[-1] if weights else 0
        previous = 0.0
        for structure, cumulative in zip(others, weights, strict=True):
            share = int(remaining * (cumulative - previous) / total)
            previous = cumulative
            if share:
                counts[structure] = share
        leftover = shape.services - sum(counts.values())
        for structure in itertools.islice(itertools.cycle(others), leftover):
            counts[structure] = counts.get(structure, 0) + 1
        next_id = itertools.count(1)
        population.services_of = {
            structure: [next(next_id) for _ in range(count)] for structure, count in counts.items()
        }

    def _structure_lines(self):
        population, rng = self.population, self.rng
        for serial, structure_id in enumerate(population.public):
            if structure_id == population.ministry:
                designation = MINISTRY_DESIGNATION
            else:
                city = rng.choice(vocabulary.CITIES)[0]
                family = rng.choice(vocabulary.FAMILY_NAMES)
                designation = f"{rng.choice(vocabulary.PUBLIC_BODY_KINDS)} {family}-{city}"
            yield self._structure_line(structure_id, serial, designation, public=True)
        for serial, structure_id in enumerate(population.private):
            if structure_id == population.reader:
                designation = READER_DESIGNATION
            elif structure_id in population.big_suppliers:
                designation = f"RESEAU NATIONAL {rng.choice(vocabulary.TRADES)} {serial}"
            else:
                designation = " ".join(
                    (
                        rng.choice(vocabulary.TRADES),
                        rng.choice(vocabulary.FAMILY_NAMES),
                        rng.choice(vocabulary.LEGAL_FORMS),
                    )
                )
            yield self._structure_line(structure_id, serial, designation, public=False)

    def _structure_line(self, structure_id, serial, designation, *, public):
        city = self.rng.choice(vocabulary.CITIES)[0]
        return rows.structure_line(
            structure_id,
            siret(serial, public=public),
            designation,
            public=public,
            manages_services=structure_id in self.population.services_of,
            address=f"{1 + serial % 150} {vocabulary.STREETS[serial % len(vocabulary.STREETS)]}",
            postal_code=vocabulary.postal_code(self.rng),
            city=city,
            folded=len(self.structure_columns) > len(rows.STRUCTURE_COLUMNS),
        )

    def _service_lines(self):
        for structure_id, service_ids in self.population.services_of.items():
            for number, service_id in enumerate(service_ids):
                code, label = vocabulary.SERVICE_NAMES[number % len(vocabulary.SERVICE_NAMES)]
                yield rows.service_line(service_id, structure_id, f"{code}{number:04d}", label)

    # ---------- Users and memberships ----------

    def _load_users(self) -> int:
        """Load the users and their memberships; return how many users there are.

        The first users of the ministry and of the reader get the names that
        the scenarios look up.
        """
        attachments = list(self._attachments())
        reader_user = next(
            (
                index
                for index, (structure, _service) in enumerate(attachments, 1)
                if structure == self.population.reader
            ),
            None,
        )
        if reader_user is None:
            raise ValueError("Inconsistent data set shape: too few users to give the reader one.")
        names = {1: MINISTRY_USERNAME, reader_user: READER_USERNAME}

        joined = rows.timestamp(self.now)
        rng = self.rng
        user_lines = (
            rows.user_line(
                user_id,
                names.get(user_id, f"user{user_id:07d}"),
                rng.choice(vocabulary.FIRST_NAMES),
                rng.choice(vocabulary.FAMILY_NAMES).capitalize(),
                joined,
            )
            for user_id in range(1, len(attachments) + 1)
        )
        count = self.loader.copy(get_user_model()._meta.db_table, rows.USER_COLUMNS, user_lines)

        membership_lines = (
            rows.membership_line(user_id, user_id, structure, service)
            for user_id, (structure, service) in enumerate(attachments, 1)
        )
        self.loader.copy(Membership._meta.db_table, rows.MEMBERSHIP_COLUMNS, membership_lines)

        for user_id, (structure, service) in enumerate(attachments, 1):
            if service is None:
                self.population.first_user.setdefault(structure, user_id)
        return count

    def _attachments(self):
        """Yield (structure, service or None) per user, as many as the shape has users.

        The ministry has the most users, public bodies one plus one per five
        services (half of the extra ones restricted to a service), then each
        company one, in id order, while users remain.
        """
        population, rng = self.population, self.rng
        per_structure = [(population.ministry, self.shape.ministry_users)]
        per_structure += [
            (structure, 1 + len(population.services_of.get(structure, [])) // 5)
            for structure in population.public[1:]
        ]
        per_structure += [(structure, 1) for structure in population.private]
        produced = 0
        for structure, count in per_structure:
            services = population.services_of.get(structure, [])
            for number in range(count):
                if produced == self.shape.users:
                    return
                restricted = number > 0 and services and rng.random() < 0.5
                yield structure, rng.choice(services) if restricted else None
                produced += 1

    # ---------- Partner pairs and invoices ----------

    def _plan_pairs(self) -> int:
        """Draw the partner pairs into the adjacency lists; return how many there are."""
        population, rng, shape = self.population, self.rng, self.shape
        public_others = population.public[1:]
        ministry_pool = [s for s in population.private if s != population.reader]
        for supplier in rng.sample(ministry_pool, shape.ministry_suppliers):
            self._add_pair(supplier, population.ministry)
        for customer in rng.sample(public_others, shape.reader_customers):
            self._add_pair(population.reader, customer)
        for rank, supplier in enumerate(population.big_suppliers, 1):
            count = min(len(public_others), round(shape.big_supplier_customers / rank))
            for customer in rng.sample(public_others, count):
                self._add_pair(supplier, customer)
        return self._plan_long_tail(public_others)

    def _plan_long_tail(self, public_others) -> int:
        """Give the other companies customers until the shape's pair count is reached.

        Two in five companies have one customer, one in four two, and the rest
        a few to a few hundred. Customers are drawn by public rank weight.
        """
        population, rng = self.population, self.rng
        special = {population.reader, *population.big_suppliers}
        tail = [s for s in population.private if s not in special]
        rng.shuffle(tail)
        weights = _rank_weights(len(public_others))
        total = self._pair_count()
        target = self.shape.partner_pairs
        # Every other body stays below the ministry, which has the most suppliers at any scale.
        most = self.shape.ministry_suppliers - 1
        for supplier in itertools.cycle(tail):
            if total >= target:
                break
            known = set(population.customers_of[supplier])
            wanted = min(self._tail_customer_count(), target - total)
            drawn = rng.choices(public_others, cum_weights=weights, k=wanted)
            for customer in dict.fromkeys(drawn):
                if customer not in known and len(population.suppliers_of[customer]) < most:
                    self._add_pair(supplier, customer)
                    total += 1
        return total

    def _tail_customer_count(self) -> int:
        draw = self.rng.random()
        if draw < 0.4:
            return 1
        if draw < 0.65:
            return 2
        return min(500, 3 + int(self.rng.expovariate(1 / 7.8)))

    def _add_pair(self, supplier: int, customer: int) -> None:
        self.population.suppliers_of[customer].append(self._ids[supplier])
        self.population.customers_of[supplier].append(self._ids[customer])

    def _pair_count(self) -> int:
        return sum(len(suppliers) for suppliers in self.population.suppliers_of)

    def _invoice_lines(self):
        """Yield one invoice per pair; one in ten names a service of the customer."""
        population, rng, today = self.population, self.rng, self.today
        invoice_id = itertools.count(1)
        for customer in population.public:
            services = population.services_of.get(customer)
            for supplier in population.suppliers_of[customer]:
                service = None
                if services and rng.random() < _SERVICE_INVOICE_SHARE:
                    service = rng.choice(services)
                    population.invoiced_service[pair_key(supplier, customer)] = service
                issued_on = today - datetime.timedelta(days=rng.randint(1, 1095))
                yield rows.invoice_line(next(invoice_id), supplier, customer, service, issued_on)

    # ---------- Mailing lists ----------

    def _load_mailing_lists(self) -> int:
        lists = list(self._plan_mailing_lists())
        created = rows.timestamp(self.now - datetime.timedelta(days=30))
        list_lines = (
            rows.mailing_list_line(
                list_id,
                f"Liste {number} {vocabulary.TRADES[number % len(vocabulary.TRADES)].lower()}",
                owner,
                None,
                kind,
                created,
                self.population.first_user.get(owner),
            )
            for list_id, (owner, kind, number, _members) in enumerate(lists, 1)
        )
        count = self.loader.copy(MailingList._meta.db_table, rows.MAILING_LIST_COLUMNS, list_lines)
        member_id = itertools.count(1)
        member_lines = (
            rows.member_line(next(member_id), list_id, structure, None, created)
            for list_id, (_owner, _kind, _number, members) in enumerate(lists, 1)
            for structure in members
        )
        self.loader.copy(Member._meta.db_table, rows.MEMBER_COLUMNS, member_lines)
        return count

    def _plan_mailing_lists(self):
        """Yield (owner, kind, number among the owner's lists, members) per mailing list.

        Four lists in five belong to public bodies (to their suppliers), drawn
        by rank weight; the others to companies (to their customers).
        """
        population, rng, shape = self.population, self.rng, self.shape
        senders = [s for s in population.public if population.suppliers_of[s]]
        weights = list(
            itertools.accumulate(len(population.suppliers_of[s]) ** 0.5 for s in senders)
        )
        companies = [s for s in population.private if population.customers_of[s]]
        numbers: dict[int, int] = {}
        mean_size = max(1, shape.list_members // shape.mailing_lists)
        for _ in range(shape.mailing_lists):
            if rng.random() < 0.8 or not companies:
                owner = senders[bisect.bisect(weights, rng.random() * weights[-1])]
                kind, partners = "suppliers", population.suppliers_of[owner]
            else:
                owner = rng.choice(companies)
                kind, partners = "customers", population.customers_of[owner]
            numbers[owner] = numbers.get(owner, 0) + 1
            size = min(len(partners), rng.randint(1, 2 * mean_size - 1))
            yield owner, kind, numbers[owner], rng.sample(partners, size)
