"""Bulk loading into PostgreSQL: COPY, secondary indexes dropped and rebuilt, statistics.

Everything runs in the caller's transaction: when generation fails, the
tables, their indexes and their constraints are left as they were.
"""

import logging
import time
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection

logger = logging.getLogger(__name__)

# Rows sent to COPY per write: large enough to amortise the call, small enough
# to keep the producer and PostgreSQL working at the same time.
_ROWS_PER_WRITE = 20_000
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"

# Secondary indexes and unique constraints of a table, with what recreates them.
_INDEXES_SQL = """
SELECT index_class.relname, pg_get_indexdef(index_class.oid), con.conname,
       pg_get_constraintdef(con.oid)
FROM pg_index ix
JOIN pg_class index_class ON index_class.oid = ix.indexrelid
LEFT JOIN pg_constraint con
       ON con.conindid = ix.indexrelid AND con.conrelid = ix.indrelid
      AND con.contype IN ('u', 'x')
WHERE ix.indrelid = %s::regclass AND NOT ix.indisprimary
ORDER BY index_class.relname
"""


def text(value: str) -> str:
    """Return `value` escaped for COPY's text format."""
    return value.translate(_ESCAPES)


def optional(value) -> str:
    """Return `value` as COPY text, or COPY's NULL marker for None."""
    return NULL if value is None else str(value)


@dataclass
class Step:
    """One timed generation step."""

    name: str
    rows: int | None = None
    seconds: float = 0.0


class Loader:
    """Writes generated rows with COPY and reports the duration of each step.

    Call `prepare(tables)` first, in the generation transaction: it empties
    the tables and drops their secondary indexes, which COPY would otherwise
    update row by row. `finish()` rebuilds them with their original
    definitions, then `analyze()` runs after the commit.
    """

    def __init__(self, report=None):
        self.report = report or (lambda line: None)
        self.steps: list[Step] = []
        self._indexes: list[tuple[str, str, str, str | None, str | None]] = []
        self._tables: list[str] = []

    @contextmanager
    def step(self, name: str):
        """Time the enclosed block as generation step `name` and report it.

        The block may set `rows` on the yielded Step for the report.
        """
        step = Step(name)
        started = time.perf_counter()
        yield step
        step.seconds = round(time.perf_counter() - started, 2)
        self.steps.append(step)
        rows = f"{step.rows:,} rows in " if step.rows is not None else ""
        self.report(f"{name}: {rows}{step.seconds:.1f} s")

    def prepare(self, tables: list[str]) -> None:
        """Empty `tables`, drop their secondary indexes and foreign-key checks for the load.

        Foreign keys stay declared, but their triggers do not fire while
        `session_replication_role` is `replica`: the generator writes ids it
        made itself, and checking 20 million of them one by one would take
        longer than the whole load. That setting needs a superuser role.
        """
        self._tables = list(tables)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
            cursor.execute("SET LOCAL work_mem = '256MB'")
            quoted = ", ".join(connection.ops.quote_name(table) for table in tables)
            cursor.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
            for table in tables:
                cursor.execute(_INDEXES_SQL, [table])
                for name, definition, constraint, constraint_definition in cursor.fetchall():
                    self._indexes.append(
                        (table, name, definition, constraint, constraint_definition)
                    )
            for table, name, _definition, constraint, _constraint_definition in self._indexes:
                if constraint:
                    cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {constraint}")
                else:
                    cursor.execute(f"DROP INDEX {name}")

    def copy(self, table: str, columns: tuple[str, ...], lines: Iterable[str]) -> int:
        """COPY `lines` (tab-separated, newline-terminated) into `table`; return the row count.

        FREEZE writes the rows already visible to every transaction, so that
        index-only scans work without a VACUUM after the load; PostgreSQL
        allows it because `prepare` emptied the table in this transaction.
        """
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FREEZE)"
        count = 0
        chunk: list[str] = []
        with connection.cursor() as cursor, cursor.copy(sql) as copy:
            for line in lines:
                chunk.append(line)
                if len(chunk) == _ROWS_PER_WRITE:
                    copy.write("".join(chunk))
                    count += len(chunk)
                    chunk.clear()
            if chunk:
                copy.write("".join(chunk))
                count += len(chunk)
        return count

    def finish(self) -> None:
        """Rebuild the dropped indexes and constraints, and move sequences past the ids used."""
        with connection.cursor() as cursor:
            for table, _name, definition, constraint, constraint_definition in self._indexes:
                if constraint:
                    cursor.execute(
                        f"ALTER TABLE {table} ADD CONSTRAINT {constraint} {constraint_definition}"
                    )
                else:
                    cursor.execute(definition)
            for table in self._tables:
                _reset_sequence(cursor, table)
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")

    def analyze(self) -> None:
        """VACUUM and ANALYZE the loaded tables; run it after the commit."""
        with connection.cursor() as cursor:
            for table in self._tables:
                cursor.execute(f"VACUUM (ANALYZE) {table}")


def _reset_sequence(cursor, table: str) -> None:
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    (sequence,) = cursor.fetchone()
    if sequence:
        cursor.execute(
            f"SELECT setval(%s, COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)",
            [sequence],
        )


def database_size() -> int:
    """Return the size of the current database on disk, in bytes."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return cursor.fetchone()[0]
