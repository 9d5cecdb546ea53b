"""Fill a PostgreSQL database with the national benchmark data set or the W1 workload."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from bench.loading import Loader, database_size
from bench.national import NationalGenerator, national_tables
from bench.shapes import NationalShape, W1Shape
from bench.w1 import W1Generator, w1_tables
from structures.models import Structure

WORKLOADS = {
    "national": (NationalShape, NationalGenerator, national_tables),
    "w1": (W1Shape, W1Generator, w1_tables),
}


class Command(BaseCommand):
    help = (
        "Fill the database with the national benchmark data set (1.13 million structures, "
        "20 million deliveries) or the W1 workload, with COPY. PostgreSQL only, superuser "
        "role; the database must be migrated. Prints the duration of each step."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workload", choices=sorted(WORKLOADS), default="national")
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="multiply every count by this factor, in ]0, 1] (default: 1, the full set)",
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="empty the structures, users, messages and lists tables first when they "
            "hold data; without it the command stops on a non-empty database",
        )

    def handle(self, *args, workload, scale, seed, reset, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                f"generate_bench_data needs PostgreSQL (COPY); DATABASE_URL points to "
                f"{connection.vendor}. Set DATABASE_URL=postgres://..."
            )
        existing = Structure.objects.count()
        if existing and not reset:
            raise CommandError(
                f"The database already holds {existing:,} structures; pass --reset to empty "
                "it first (every user, structure, message and list is deleted)."
            )
        shape_class, generator_class, tables = WORKLOADS[workload]
        try:
            shape = shape_class().scaled(scale)
        except ValueError as error:
            raise CommandError(str(error)) from error
        loader = Loader(report=self.stdout.write)
        started = time.perf_counter()
        self.stdout.write(f"Generating {workload} at scale {scale}: {shape}")
        with transaction.atomic():
            loader.prepare(tables())
            generator_class(shape, loader, seed=seed).generate()
            with loader.step("indexes and constraints rebuilt"):
                loader.finish()
        with loader.step("VACUUM ANALYZE"):
            loader.analyze()
        total = time.perf_counter() - started
        size = database_size() / 2**30
        self.stdout.write(f"Done in {total:.0f} s; the database takes {size:.1f} GiB.")
