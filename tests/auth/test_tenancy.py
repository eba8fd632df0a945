"""Tenant isolation: the ORM scope (first wall) and PostgreSQL row-level security (second)."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select, text

from rastro.auth.models import ApiKey, Credential, Membership, Organization
from rastro.core.db import SYSTEM, Scope, TenantScopeMissing
from tests.auth.factories import auth_headers, make_account

CRED = {"name": "Google", "service": "utmify", "api_key": "utmify-token-abcdef123456"}


@pytest.fixture
async def two_orgs(client, databases):
    a = await make_account(databases)
    b = await make_account(databases)
    a_headers = await auth_headers(client, a)
    b_headers = await auth_headers(client, b)
    cred = (await client.post("/api/credentials", headers=a_headers, json=CRED)).json()
    key = (
        await client.post(
            "/api/api-keys",
            headers=a_headers,
            json={"name": "A key", "scopes": ["credentials:read"]},
        )
    ).json()
    member = await make_account(databases, role="viewer", organization_id=a.organization_id)
    return a, b, a_headers, b_headers, cred, key, member


async def test_another_organization_gets_404_for_every_resource(client, two_orgs):
    a, _b, a_headers, b_headers, cred, key, member = two_orgs
    attempts = [
        ("GET", f"/api/credentials/{cred['id']}", None),
        ("PUT", f"/api/credentials/{cred['id']}", {"name": "stolen"}),
        ("DELETE", f"/api/credentials/{cred['id']}", None),
        ("DELETE", f"/api/api-keys/{key['api_key']['id']}", None),
        ("PATCH", f"/api/members/{member.user_id}", {"role": "admin"}),
        ("PATCH", f"/api/members/{a.user_id}", {"is_active": False}),
    ]
    for method, path, body in attempts:
        response = await client.request(method, path, headers=b_headers, json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"]["code"] == "not_found"
    # and nothing changed for A
    still = await client.get(f"/api/credentials/{cred['id']}", headers=a_headers)
    assert still.json()["name"] == "Google"
    keys = (await client.get("/api/api-keys", headers=a_headers)).json()["items"]
    assert keys[0]["revoked_at"] is None


async def test_lists_show_only_the_callers_organization(client, two_orgs):
    a, b, _a_headers, b_headers, cred, key, member = two_orgs
    for path in ("/api/credentials", "/api/api-keys", "/api/members"):
        body = (await client.get(path, headers=b_headers)).json()
        ids = str(body)
        assert cred["id"] not in ids
        assert key["api_key"]["id"] not in ids
        assert str(member.user_id) not in ids
        assert str(a.user_id) not in ids
    assert (await client.get("/api/credentials", headers=b_headers)).json()["total"] == 0
    assert (await client.get("/api/members", headers=b_headers)).json()["total"] == 1
    org = (await client.get("/api/organization", headers=b_headers)).json()
    assert org["id"] == str(b.organization_id)


async def test_an_api_key_only_reaches_its_organization(client, two_orgs):
    _a, _b, _a_headers, b_headers, cred, key, _member = two_orgs
    b_cred = (await client.post("/api/credentials", headers=b_headers, json=CRED)).json()
    key_headers = {"Authorization": f"Bearer {key['key']}"}
    assert (
        await client.get(f"/api/credentials/{b_cred['id']}", headers=key_headers)
    ).status_code == 404
    listed = (await client.get("/api/credentials", headers=key_headers)).json()
    assert [c["id"] for c in listed["items"]] == [cred["id"]]


async def test_orm_queries_are_filtered_to_the_session_organization(databases, two_orgs):
    _a, b, *_ = two_orgs
    statements: list[str] = []

    def capture(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(databases.crm.engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with databases.crm.transaction(Scope.organization(b.organization_id)) as session:
            assert await session.scalar(select(func.count()).select_from(Credential)) == 0
            assert (await session.scalars(select(Credential))).all() == []
            orgs = (await session.scalars(select(Organization))).all()
            assert [o.id for o in orgs] == [b.organization_id]
            assert await session.scalar(select(func.count(Membership.id))) == 1
    finally:
        event.remove(databases.crm.engine.sync_engine, "before_cursor_execute", capture)
    count_sql = next(s for s in statements if "count" in s.lower() and "credentials" in s)
    assert "organization_id" in count_sql  # filtered by the ORM itself, not only by RLS


async def test_a_session_without_scope_cannot_touch_tenant_models(databases, two_orgs):
    async with databases.crm.session() as session:
        with pytest.raises(TenantScopeMissing):
            await session.scalars(select(Credential))
        with pytest.raises(TenantScopeMissing):
            await session.scalar(select(func.count(ApiKey.id)))


async def test_writing_a_row_into_another_organization_is_refused(databases, two_orgs):
    a, b, *_ = two_orgs
    async with databases.crm.session(Scope.organization(b.organization_id)) as session:
        session.add(
            Credential(
                organization_id=a.organization_id,
                name="x",
                service="utmify",
                api_key_encrypted=b"x",
                key_id="k",
                api_key_hint="",
            )
        )
        with pytest.raises(TenantScopeMissing):
            await session.flush()


async def test_rls_hides_other_organizations_from_raw_sql_that_forgot_the_filter(
    databases, two_orgs
):
    a, b, *_ = two_orgs
    async with databases.crm.transaction(Scope.organization(b.organization_id)) as session:
        assert (await session.execute(text("SELECT count(*) FROM credentials"))).scalar() == 0
        assert (await session.execute(text("SELECT count(*) FROM api_keys"))).scalar() == 0
        orgs = (await session.execute(text("SELECT id FROM organizations"))).scalars().all()
        assert orgs == [b.organization_id]
    async with databases.crm.transaction(Scope.organization(a.organization_id)) as session:
        assert (await session.execute(text("SELECT count(*) FROM credentials"))).scalar() == 1
    # no scope at all: RLS matches nothing
    async with databases.crm.session() as session:
        assert (await session.execute(text("SELECT count(*) FROM credentials"))).scalar() == 0
        assert (await session.execute(text("SELECT count(*) FROM memberships"))).scalar() == 0
    async with databases.crm.transaction(SYSTEM) as session:
        assert (await session.execute(text("SELECT count(*) FROM credentials"))).scalar() == 1


async def test_rls_blocks_raw_writes_into_another_organization(databases, two_orgs):
    a, b, *_ = two_orgs
    async with databases.crm.session(Scope.organization(b.organization_id)) as session:
        updated = await session.execute(text("UPDATE credentials SET name = 'pwned'"))
        assert updated.rowcount == 0
        await session.rollback()
    from sqlalchemy.exc import ProgrammingError

    async with databases.crm.session(Scope.organization(b.organization_id)) as session:
        with pytest.raises(ProgrammingError, match="row-level security"):
            await session.execute(
                text(
                    "INSERT INTO credentials (id, organization_id, name, service,"
                    " api_key_encrypted, key_id, api_key_hint)"
                    " VALUES (gen_random_uuid(), :org, 'x', 'utmify', 'x', 'k', '')"
                ),
                {"org": a.organization_id},
            )


async def test_the_application_role_is_subject_to_rls(databases):
    async with databases.crm.engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            )
        ).one()
        forced = (
            (
                await conn.execute(
                    text("SELECT relname FROM pg_class WHERE relforcerowsecurity ORDER BY relname")
                )
            )
            .scalars()
            .all()
        )
    assert tuple(row) == (False, False)
    assert {"api_keys", "credentials", "memberships", "organizations"} <= set(forced)
