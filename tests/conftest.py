"""Shared fixtures: one real Postgres, the schema built once into a template, a clone per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from luneo.core import migrations
from luneo.core.settings import load_settings
from tests.support.pg import REPO, Databases, dbname, server_url
from tests.support.postgrest import PostgREST
from tests.support.project import Project
from tests.support.team import Team, make_team


@pytest.fixture(scope="session")
def pg_server() -> str:
    return server_url()


@pytest.fixture(scope="session")
def databases(pg_server: str) -> Iterator[Databases]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    dbs = Databases(pg_server, prefix=f"luneo_test_{worker}")
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def template_db(databases: Databases) -> str:
    """Name of a database holding the whole schema, built once per session."""
    url = databases.create()
    migrations.apply(load_settings(REPO, url))
    return dbname(url)


@pytest.fixture
def db_url(databases: Databases, template_db: str) -> Iterator[str]:
    """A fresh clone of the template: the full schema, isolated per test."""
    url = databases.create(template=template_db)
    yield url
    databases.drop(dbname(url))


@pytest.fixture
def empty_db_url(databases: Databases) -> Iterator[str]:
    """A brand-new empty database (no stand-in, no ledger)."""
    url = databases.create(template="template0")
    yield url
    databases.drop(dbname(url))


@pytest.fixture
def api(db_url: str) -> PostgREST:
    return PostgREST(db_url)


@pytest.fixture
def team(api: PostgREST, db_url: str) -> Team:
    """An organisation with one user per member role and an outsider (tests/support/team.py)."""
    return make_team(api, db_url)


@pytest.fixture
def project(tmp_path: Path, empty_db_url: str) -> Iterator[Project]:
    """An empty throw-away project bound to an empty database."""
    project = Project(tmp_path / "project", empty_db_url)
    yield project
    project.su.close()
