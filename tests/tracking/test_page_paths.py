"""Each page view's path, stored with it (`page_views.page_path`, BI migration 0031): the
one definition (`rastro_page_path()`), what `rastro_collect` stores, and the migration
filling in the views stored before it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from rastro.core import migrations
from rastro.core.db import SYSTEM, Databases
from rastro.core.embedded import EmbeddedPostgres


async def _paths(databases: Databases, urls: list[str]) -> list[str]:
    async with databases.bi.transaction(SYSTEM) as bi:
        result = await bi.execute(
            text(
                "SELECT rastro_page_path(u) FROM unnest(CAST(:urls AS text[])) WITH ORDINALITY"
                " AS t(u, n) ORDER BY n"
            ),
            {"urls": urls},
        )
        return list(result.scalars())


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://loja.example.com.br/lp?utm_source=google#form", "/lp"),
        ("https://loja.example.com.br", "/"),
        ("https://loja.example.com.br?x=1", "/"),
        ("https://loja.example.com.br#top", "/"),
        ("http://user@loja.example.com.br:8080/a/b/", "/a/b/"),
        ("HTTPS://LOJA.example.com.br/Caps", "/Caps"),
        ("/relative/page?q=1", "/relative/page"),
        ("", "/"),
        ("https://loja.example.com.br/a?b=https://x.com/c", "/a"),
        ("https://loja.example.com.br/p\nq?r", "/p\nq"),
    ],
)
async def test_the_path_of_a_url(databases: Databases, url: str, path: str) -> None:
    assert await _paths(databases, [url]) == [path]


_PART = st.text(alphabet=st.sampled_from("abcXYZ019-._~%!$&'()*+,;=:@/?#"), min_size=0, max_size=12)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["http", "https", "ftp"]),
            st.from_regex(r"[a-z0-9.-]{1,12}", fullmatch=True),
            _PART,
        ),
        min_size=1,
        max_size=20,
    )
)
async def test_the_path_is_what_urlsplit_says(
    databases: Databases, parts: list[tuple[str, str, str]]
) -> None:
    urls = [
        f"{scheme}://{host}{'/' if rest and rest[0] not in '/?#' else ''}{rest}"
        for scheme, host, rest in parts
    ]
    assert await _paths(databases, urls) == [urlsplit(u).path or "/" for u in urls]


@pytest.fixture
def bi_at_0027(pg_server: EmbeddedPostgres) -> Iterator[str]:
    """An empty BI database of its own (its name), migrated up to the revision before
    0031."""
    name = f"rastro_bi_paths_{os.getpid()}"
    pg_server.ensure_databases(name)
    migrations.upgrade("bi", pg_server.url(name), "0027")
    yield name
    pg_server.drop_database(name)


def test_the_migration_fills_in_the_stored_views(
    pg_server: EmbeddedPostgres, bi_at_0027: str
) -> None:
    conninfo = pg_server.superuser_conninfo(bi_at_0027)
    views = [  # in two weeks (two of the migration's batches) and the current month
        ("https://a.example.com/one?x=1", "now() - interval '20 days'"),
        ("https://a.example.com/two#f", "now() - interval '1 day'"),
        ("https://a.example.com", "now()"),
    ]
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for n, (page_url, at) in enumerate(views):
            conn.execute(
                "INSERT INTO page_views (view_id, created_at, organization_id, session_id,"
                f" page_url, view_order) VALUES (%s, {at}, %s, 's1', %s, %s)",
                (uuid.uuid4(), uuid.uuid4(), page_url, n + 1),
            )
    migrations.upgrade("bi", pg_server.url(bi_at_0027), "0031")
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute("SELECT page_path FROM page_views ORDER BY view_order").fetchall()
    assert [r[0] for r in rows] == ["/one", "/two", "/"]
    migrations.downgrade("bi", pg_server.url(bi_at_0027), "0027")
    with psycopg.connect(conninfo) as conn:
        columns = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'page_views'"
        ).fetchall()
    assert "page_path" not in {c[0] for c in columns}
