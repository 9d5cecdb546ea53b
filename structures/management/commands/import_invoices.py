"""Import invoices from a CSV file and rebuild the partner relation."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from structures.directory import ImportFileError
from structures.invoice_import import import_invoices


class Command(BaseCommand):
    help = (
        "Create the invoices of a ';'-separated CSV file (header: supplier_identifier;"
        "client_identifier;supplier_service_code;client_service_code;number;date) that are "
        "not stored yet, then rebuild the partner relation. Safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="CSV file of invoices")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check and count everything, then roll back so that the database is unchanged",
        )
        parser.add_argument(
            "--quiet", action="store_true", help="do not print progress lines on stderr"
        )
        parser.add_argument(
            "--limit",
            type=int,
            default=50,
            help="maximum number of warnings, and of rejected rows, listed in the report "
            "(default: 50)",
        )

    def handle(self, *args, path, dry_run, quiet, limit, **options):
        progress = None if quiet else (lambda line: self.stderr.write(line, style_func=str))
        try:
            report = import_invoices(path, progress=progress, dry_run=dry_run)
        except ImportFileError as error:
            raise CommandError(f"{error} Nothing was imported.") from error
        for line in report.format_lines(limit):
            self.stdout.write(line)
        if dry_run:
            self.stdout.write("Dry run: everything was rolled back, the database is unchanged.")
