"""Fixtures shared by every test folder."""

import pytest
from django.db import connection


def pytest_collection_modifyitems(config, items):
    """Skip the tests marked `postgresql` when the database is another one."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL; set DATABASE_URL to a PostgreSQL database")
    for item in items:
        if "postgresql" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def is_postgresql():
    return connection.vendor == "postgresql"
