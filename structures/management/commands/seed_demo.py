"""Load the demo data set and print the demo logins."""

from django.core.management.base import BaseCommand

from mailing_lists.demo import load_demo_lists
from messaging.demo import load_demo_messages
from structures.demo import DEMO_PASSWORD, DEMO_USERS, load_demo


class Command(BaseCommand):
    help = (
        "Load the demo data (directory sample, suppliers, invoices, users, messages, mailing "
        "lists); safe to re-run."
    )

    def handle(self, *args, **options):
        counts = load_demo()
        messages = load_demo_messages()
        lists = load_demo_lists()
        self.stdout.write(
            f"Demo data ready: {counts['invoices']} new invoices, "
            f"{counts['partners']} partner rows, {messages} new messages, "
            f"{lists} new mailing lists."
        )
        self.stdout.write(f"Logins (password for all: {DEMO_PASSWORD}):")
        for user in DEMO_USERS:
            self.stdout.write(f"  {user.username:<20} {user.description}")
        self.stdout.write(f"  {'admin':<20} administrator, Django admin at /admin/")
