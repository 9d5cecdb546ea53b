"""Import the Chorus Pro public-structures directory from its XLSX or CSV export."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from structures.directory import ImportFileError, import_directory


class Command(BaseCommand):
    help = (
        "Create or update structures and services from the Chorus Pro directory: an XLSX "
        "workbook with its structures and services sheets, or those sheets saved as "
        "';'-separated CSV files. Safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "paths",
            nargs="+",
            type=Path,
            help="XLSX workbook, or CSV files of the structures and services sheets",
        )
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

    def handle(self, *args, paths, dry_run, quiet, limit, **options):
        try:
            report = import_directory(paths, progress=self._progress(quiet), dry_run=dry_run)
        except ImportFileError as error:
            raise CommandError(f"{error} Nothing was imported.") from error
        for line in report.format_lines(limit):
            self.stdout.write(line)
        if dry_run:
            self.stdout.write("Dry run: everything was rolled back, the database is unchanged.")

    def _progress(self, quiet):
        if quiet:
            return None
        return lambda line: self.stderr.write(line, style_func=str)
