"""The shapes of the benchmark data sets: the national one and the W1 workload.

The defaults are the full data sets. `scaled(factor)` shrinks every count by
the same factor (rounded, at least 1), for CI and quick runs.
"""

import dataclasses
from dataclasses import dataclass


def _scaled(shape, factor: float):
    if not 0 < factor <= 1:
        raise ValueError(f"the scale must be in ]0, 1]; got {factor}")
    counts = {
        field.name: max(1, round(getattr(shape, field.name) * factor))
        for field in dataclasses.fields(shape)
        if isinstance(getattr(shape, field.name), int)
    }
    scaled = dataclasses.replace(shape, **counts)
    scaled.check()
    return scaled


@dataclass(frozen=True)
class NationalShape:
    """Chorus Pro's published orders of magnitude, and the skew of its largest accounts."""

    structures: int = 1_130_000
    public_structures: int = 130_000
    services: int = 200_000
    users: int = 1_100_000
    # Pairs of structures that exchanged an invoice; each gives two Partner rows.
    partner_pairs: int = 5_000_000
    messages: int = 2_000_000
    deliveries: int = 20_000_000
    mailing_lists: int = 50_000
    list_members: int = 1_000_000
    # The largest customer: a ministry, its suppliers, services, users and Outbox.
    ministry_suppliers: int = 100_000
    ministry_services: int = 1_000
    ministry_users: int = 500
    ministry_messages: int = 20_000
    # Messages of the ministry to all its suppliers.
    ministry_broadcasts: int = 20
    # The busiest Mailbox: a supplier of many public bodies.
    reader_customers: int = 5_000
    reader_messages: int = 50_000
    reader_displayed: int = 2_000
    # National suppliers (energy, telecoms): the n-th has big_supplier_customers / n customers.
    big_suppliers: int = 50
    big_supplier_customers: int = 50_000

    def scaled(self, factor: float) -> "NationalShape":
        return _scaled(self, factor)

    @property
    def private_structures(self) -> int:
        return self.structures - self.public_structures

    def check(self) -> None:
        """Raise ValueError when the counts cannot describe one consistent data set."""
        fixed = self.ministry_suppliers + self.reader_customers + self.big_supplier_customers
        below_ministry = (self.public_structures - 1) * (self.ministry_suppliers - 1)
        broadcasts = self.ministry_broadcasts * self.ministry_suppliers
        rules = (
            (
                self.public_structures < 2 or self.private_structures < self.big_suppliers + 2,
                "too few public bodies or companies",
            ),
            (
                self.ministry_suppliers >= self.private_structures,
                "the ministry needs fewer suppliers than there are companies",
            ),
            (
                self.reader_customers >= self.public_structures,
                "the reader needs fewer customers than there are public bodies",
            ),
            (
                self.reader_displayed > self.reader_messages,
                "the reader cannot have more messages displayed than received",
            ),
            (
                self.ministry_messages <= self.ministry_broadcasts,
                "the ministry needs one message besides its broadcasts",
            ),
            (
                self.ministry_messages + self.reader_messages > self.messages,
                "the ministry's and the reader's messages exceed all messages",
            ),
            (
                self.partner_pairs < fixed,
                "too few partner pairs for the ministry, reader and big suppliers",
            ),
            (
                self.partner_pairs > self.ministry_suppliers + below_ministry,
                "too many partner pairs for public bodies to stay below the ministry",
            ),
            (
                self.deliveries < self.messages + broadcasts,
                "too few deliveries for one per message and the broadcasts",
            ),
        )
        problems = [problem for broken, problem in rules if broken]
        if problems:
            raise ValueError("Inconsistent data set shape: " + "; ".join(problems) + ".")


@dataclass(frozen=True)
class W1Shape:
    """The shape of django-postman's benchmark, in structures instead of users.

    Each structure has one user and each message one delivery. One reader has
    `reader_messages` messages in its Mailbox, all displayed today, from
    `reader_senders` senders. `unread_percent` of them are unread.
    """

    structures: int = 10_000
    public_structures: int = 2_500
    messages: int = 1_000_000
    reader_messages: int = 100_000
    reader_senders: int = 2_000
    # Customers of each other supplier: the pairs that the other messages use.
    customers_per_supplier: int = 3
    unread_percent: int = 10

    def scaled(self, factor: float) -> "W1Shape":
        shape = _scaled(self, factor)
        return dataclasses.replace(
            shape,
            customers_per_supplier=self.customers_per_supplier,
            unread_percent=self.unread_percent,
        )

    def check(self) -> None:
        """Raise ValueError when the counts cannot describe one consistent workload."""
        if self.reader_senders > self.public_structures:
            raise ValueError("Inconsistent W1 shape: more reader senders than public bodies.")
        if self.reader_messages > self.messages:
            raise ValueError("Inconsistent W1 shape: the reader has more messages than exist.")
        if self.structures - self.public_structures < 2:
            raise ValueError("Inconsistent W1 shape: it needs at least two companies.")
