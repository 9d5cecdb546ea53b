"""The generated structures, as the message and list generators need to know them."""

from dataclasses import dataclass, field


@dataclass
class Population:
    """Structure ids by role, their services and first users, and the partner relation."""

    public: range
    private: range
    ministry: int
    reader: int
    big_suppliers: list[int]
    services_of: dict[int, list[int]] = field(default_factory=dict)
    # The first user attached to a whole structure: the author of its messages.
    first_user: dict[int, int] = field(default_factory=dict)
    # Adjacency of the partner relation, indexed by structure id.
    suppliers_of: list[list[int]] = field(default_factory=list)
    customers_of: list[list[int]] = field(default_factory=list)
    # pair_key(supplier, customer) -> the customer's service that their invoices name.
    invoiced_service: dict[int, int] = field(default_factory=dict)


def pair_key(supplier: int, customer: int) -> int:
    """Return one integer for a (supplier, customer) pair; customer ids are below 2**21."""
    return (supplier << 21) | customer
