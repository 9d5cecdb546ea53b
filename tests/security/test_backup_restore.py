"""The backup and restore procedure of docs/operations.md, run once for real.

The demo data and a few messages go into a database of their own, which
pg_dump saves in the custom format. pg_restore loads the dump into a fresh
database, where every table must come back with the same rows and every
sequence at the same value. Both databases are dropped afterwards.
"""

import os
import subprocess

import psycopg
import pytest
from django.db import connection

from tests.security.conftest import production_environment, run_manage

pytestmark = [pytest.mark.postgresql, pytest.mark.slow, pytest.mark.django_db]

# Messages whose exact text must survive the round trip: accents, emoji, line breaks, quotes.
_ADD_MESSAGES = """
from messaging.models import Message
from structures.models import Structure

sender = Structure.objects.get(identifier="21330063500017")
Message.objects.create(
    sender=sender, recipient_kind="suppliers", title="Fermeture d'été 😀",
    body="Première ligne\\nDeuxième ligne « guillemets » et 'apostrophes'",
)
Message.objects.create(sender=sender, recipient_kind="suppliers", title="Brouillon vide")
"""

_NEW_MESSAGE_NUMBER = """
from messaging.models import Message
from structures.models import Structure

print(Message.objects.create(sender=Structure.objects.first()).pk)
"""

_TABLES_SQL = """
SELECT table_name FROM information_schema.tables
WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name
"""

# The row count and a digest of every row of a table, in a stable order.
_DIGEST_SQL = """
SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM "{table}" t
"""


class Server:
    """The PostgreSQL server of the test database, reached with its command-line tools."""

    def __init__(self, settings_dict):
        self.host = settings_dict["HOST"] or "127.0.0.1"
        self.port = str(settings_dict["PORT"] or 5432)
        self.user = settings_dict["USER"] or "postgres"
        self.password = settings_dict["PASSWORD"] or ""

    def run(self, tool, *arguments):
        command = [tool, "-h", self.host, "-p", self.port, "-U", self.user, *arguments]
        environment = {**os.environ, "PGPASSWORD": self.password}
        return subprocess.run(
            command, env=environment, capture_output=True, text=True, timeout=300, check=True
        )

    def url(self, database) -> str:
        credentials = f"{self.user}:{self.password}" if self.password else self.user
        return f"postgres://{credentials}@{self.host}:{self.port}/{database}"

    def snapshot(self, database) -> dict:
        """Return, per table, its row count and a digest of all its rows; and the sequences."""
        with psycopg.connect(self.url(database)) as db:
            tables = [row[0] for row in db.execute(_TABLES_SQL)]
            contents = {
                table: db.execute(_DIGEST_SQL.format(table=table)).fetchone() for table in tables
            }
            sequences = dict(
                db.execute(
                    "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
                )
            )
            extensions = {row[0] for row in db.execute("SELECT extname FROM pg_extension")}
        return {"tables": contents, "sequences": sequences, "extensions": extensions}

    def fetch(self, database, sql):
        with psycopg.connect(self.url(database)) as db:
            return db.execute(sql).fetchall()


@pytest.fixture
def databases():
    """Yield the names of the backup and restore databases, dropped before and after."""
    server = Server(connection.settings_dict)
    base = connection.settings_dict["NAME"].removeprefix("test_")
    names = (f"{base}_backup", f"{base}_restore")
    for name in names:
        server.run("dropdb", "--if-exists", name)
    yield server, *names
    for name in names:
        server.run("dropdb", "--if-exists", name)


def _manage(server, database, *arguments):
    environment = production_environment(DATABASE_URL=server.url(database), SECURE_COOKIES="0")
    result = run_manage(*arguments, environment=environment)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_dump_restores_every_row(databases, tmp_path):
    server, backup, restore = databases
    dump = tmp_path / "chorus.dump"
    server.run("createdb", backup)
    _manage(server, backup, "migrate", "--noinput")
    _manage(server, backup, "seed_demo")
    _manage(server, backup, "shell", "-c", _ADD_MESSAGES)

    server.run("pg_dump", "--format=custom", f"--file={dump}", backup)
    server.run("createdb", restore)
    server.run("pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restore}", str(dump))

    original, restored = server.snapshot(backup), server.snapshot(restore)
    assert original["tables"]["messaging_message"][0] >= 8
    assert original["tables"]["structures_structure"][0] > 800
    assert restored["tables"] == original["tables"]
    assert restored["sequences"] == original["sequences"]
    assert "pg_trgm" in restored["extensions"]
    text_sql = "SELECT title, body FROM messaging_message WHERE body LIKE 'Première ligne%'"
    assert server.fetch(restore, text_sql) == [
        ("Fermeture d'été 😀", "Première ligne\nDeuxième ligne « guillemets » et 'apostrophes'")
    ]
    _manage(server, restore, "migrate", "--check")
    # A message created after the restore takes the next reference, never a used one.
    highest = server.fetch(restore, "SELECT max(id) FROM messaging_message")[0][0]
    output = _manage(server, restore, "shell", "--no-imports", "-c", _NEW_MESSAGE_NUMBER)
    assert int(output.split()[-1]) == highest + 1
