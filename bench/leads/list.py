"""The lead list on 100,000 leads: latency of filtered pages through the real app.

    .venv/bin/python bench/leads/list.py [--leads 100000] [--requests 200]

Starts a fresh embedded PostgreSQL under bench/results/leads-data, migrates it, creates
one organization with five owners and `--leads` leads (plus two other organizations with
5,000 each, so tenant filtering has rows to skip), generated in SQL with a realistic mix of
stages, scores, sources, owners and dates over a year, then VACUUM ANALYZE. The app is
Rastro's ASGI application (`create_app`, every middleware, authentication by a real
access token, tenant scoping and row-level security) driven in-process by httpx's ASGI
transport, one request at a time: the figures are server time without the network and
uvicorn. Each filter combination runs 20 warm-up requests, then `--requests` timed ones;
p50/p95/p99 are reported and written to bench/results/leads-list-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from pydantic import SecretStr

from bench.harness import fresh_postgres
from bench.personal import seal_people
from rastro.app import close_app, create_app
from rastro.auth.models import Membership
from rastro.auth.service import accounts
from rastro.config import Settings, generate_encryption_key
from rastro.core.db import SYSTEM, Databases
from rastro.core.embedded import EmbeddedPostgres
from rastro.modules import load_modules
from rastro.runtime import make_databases, upgrade_all

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
DATA = RESULTS / "leads-data"
PASSWORD = "bench password 123"

GENERATE = """
CREATE TEMP TABLE gen AS
SELECT g,
       gen_random_uuid() AS contact_id,
       gen_random_uuid() AS lead_id,
       now() - (random() * 365) * interval '1 day' AS created_at,
       (ARRAY['Ana','Bruno','Carla','Diego','Eduarda','Felipe','Gabriela','Henrique',
              'Isabela','João','Larissa','Marcos','Natália','Otávio','Patrícia','Rafael'])
              [1 + g % 16] AS first_name,
       (ARRAY['Silva','Souza','Oliveira','Santos','Pereira','Lima','Carvalho','Ferreira',
              'Rodrigues','Almeida','Costa','Gomes','Martins','Araújo','Barbosa','Ribeiro'])
              [1 + (g / 16) % 16] AS last_name,
       (g * 37) % 100 AS stage_roll,
       (g * 53) % 100 AS score_roll,
       (g * 71) % 100 AS source_roll,
       (g * 89) % 100 AS attribution_roll
FROM generate_series(1, %(n)s) AS g;

ALTER TABLE gen ADD COLUMN email text, ADD COLUMN phone text, ADD COLUMN name text,
    ADD COLUMN company text;

UPDATE gen SET email = lower(first_name) || '.' || g || '@empresa' || (g % 5000) || '.com.br',
       phone = '+55119' || lpad(((g * 7919) %% 100000000)::text, 8, '0'),
       name = first_name || ' ' || last_name, company = 'Empresa ' || (g %% 5000);

INSERT INTO contacts (contact_id, organization_id, hashed_email, owner_id, created_at,
                      updated_at)
SELECT contact_id, %(org)s, md5(g::text) || md5(g::text), NULL, created_at, created_at
FROM gen;

INSERT INTO leads (lead_id, organization_id, contact_id, hashed_email,
                   lead_score, current_stage, stage_changed_at, stage_value, probability,
                   owner_id, source, medium, campaign, channel, attribution_status, created_at,
                   visitor_id, session_id)
SELECT lead_id, %(org)s, contact_id, md5(g::text) || md5(g::text),
       CASE WHEN score_roll < 15 THEN 'A' WHEN score_roll < 45 THEN 'B'
            WHEN score_roll < 80 THEN 'C' ELSE 'D' END,
       stage.name,
       created_at + (g %% 20) * interval '1 day',
       CASE WHEN stage.name IN ('proposal','negotiation','won')
            THEN round((500 + random() * 49500)::numeric, 2) END,
       stage.probability,
       CASE WHEN g %% 5 = 0 THEN NULL ELSE (%(owners)s::uuid[])[1 + g %% 4] END,
       src.source, src.medium, 'campanha_' || (g %% 40), src.channel,
       CASE WHEN attribution_roll < 70 THEN 'attributed'
            WHEN attribution_roll < 95 THEN 'no_session' ELSE 'unknown_session' END,
       created_at, 'v_' || md5(g::text), 's_' || md5(g::text)
FROM gen
CROSS JOIN LATERAL (SELECT CASE
       WHEN stage_roll < 40 THEN 'new' WHEN stage_roll < 60 THEN 'qualified'
       WHEN stage_roll < 75 THEN 'proposal' WHEN stage_roll < 85 THEN 'negotiation'
       WHEN stage_roll < 93 THEN 'won' ELSE 'lost' END AS name) AS stage_name
CROSS JOIN LATERAL (SELECT stage_name.name,
       CASE stage_name.name WHEN 'new' THEN 10 WHEN 'qualified' THEN 20
            WHEN 'proposal' THEN 50 WHEN 'negotiation' THEN 80 WHEN 'won' THEN 100
            ELSE 0 END AS probability) AS stage
CROSS JOIN LATERAL (SELECT
       CASE WHEN source_roll < 35 THEN 'google' WHEN source_roll < 60 THEN 'facebook'
            WHEN source_roll < 70 THEN 'instagram' WHEN source_roll < 80 THEN 'newsletter'
            WHEN source_roll < 95 THEN NULL ELSE 'tiktok' END AS source,
       CASE WHEN source_roll < 35 THEN 'cpc' WHEN source_roll < 60 THEN 'paid_social'
            WHEN source_roll < 70 THEN 'social' WHEN source_roll < 80 THEN 'email'
            WHEN source_roll < 95 THEN NULL ELSE 'paid_social' END AS medium,
       CASE WHEN source_roll < 35 THEN 'Paid Search' WHEN source_roll < 60 THEN 'Paid Social'
            WHEN source_roll < 70 THEN 'Organic Social' WHEN source_roll < 80 THEN 'Email'
            WHEN source_roll < 95 THEN 'Direct' ELSE 'Paid Social' END AS channel) AS src;

INSERT INTO lead_stages (stage_id, organization_id, lead_id, stage_name, stage_value,
                         probability, changed_by, source, created_at)
SELECT gen_random_uuid(), %(org)s, lead_id, current_stage, stage_value, probability,
       'system', 'system', stage_changed_at
FROM leads WHERE organization_id = %(org)s;
"""


def settings_for(server: EmbeddedPostgres) -> Settings:
    return Settings(  # type: ignore[call-arg]
        RASTRO_ENV="development",
        RASTRO_DATA_DIR=DATA,
        CRM_DATABASE_URL=server.url("rastro_crm"),
        BI_DATABASE_URL=server.url("rastro_bi"),
        SECRET_KEY=SecretStr("bench-secret-key-" + "x" * 40),
        ENCRYPTION_KEY=SecretStr(generate_encryption_key()),
        LOG_LEVEL="WARNING",
    )


async def make_organization(databases: Databases, name: str, owners: int) -> dict[str, Any]:
    async with databases.crm.transaction(SYSTEM) as session:
        admin = await accounts.create_user(
            session, email=f"{name}@bench.example", name=name, password=PASSWORD
        )
        org = await accounts.create_organization(session, name=name, admin=admin)
        owner_ids = []
        for i in range(owners):
            user = await accounts.create_user(
                session,
                email=f"{name}-owner{i}@bench.example",
                name=f"Owner {i}",
                password=PASSWORD,
            )
            session.add(Membership(organization_id=org.id, user_id=user.id, role="analyst"))
            owner_ids.append(user.id)
    return {"id": org.id, "email": admin.email, "owners": owner_ids}


def generate(server: EmbeddedPostgres, org: dict[str, Any], count: int) -> None:
    # `%` is SQL's modulo here; psycopg wants it doubled beside its %(name)s placeholders.
    sql = re.sub(r"%(?!\()", "%%", GENERATE.replace("%%", "%"))
    params = {"n": count, "org": org["id"], "owners": [str(o) for o in org["owners"]]}
    with psycopg.connect(server.superuser_conninfo("rastro_crm")) as conn:
        for statement in sql.split(";\n\n"):
            if statement.strip():
                conn.execute(
                    statement.encode(), {k: v for k, v in params.items() if f"%({k})s" in statement}
                )
        seal_people(
            conn, org["id"], "SELECT contact_id, lead_id, email, phone, name, company FROM gen"
        )
        conn.execute("DROP TABLE gen")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


async def measure(
    client: httpx.AsyncClient, path: str, params: Any, requests: int
) -> dict[str, Any]:
    for _ in range(20):
        response = await client.get(path, params=params)
        response.raise_for_status()
    timings = []
    for _ in range(requests):
        start = time.perf_counter()
        response = await client.get(path, params=params)
        timings.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    body = response.json()
    return {
        "total": body.get("total"),
        "items": len(body.get("items", body.get("stages", []))),
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "p99_ms": round(percentile(timings, 0.99), 1),
        "max_ms": round(max(timings), 1),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    server = fresh_postgres(DATA)
    try:
        server.ensure_databases("rastro_crm", "rastro_bi")
        settings = settings_for(server)
        upgrade_all(settings)
        databases = make_databases(settings)
        org = await make_organization(databases, "bench", owners=4)
        started = time.perf_counter()
        generate(server, org, args.leads)
        for i in range(2):
            other = await make_organization(databases, f"other{i}", owners=2)
            generate(server, other, 5_000)
        with psycopg.connect(server.superuser_conninfo("rastro_crm"), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE contacts, leads, lead_stages, crm_search_terms")
        load_seconds = time.perf_counter() - started
        app = create_app(settings, databases=databases, check_migrations=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            token = (
                await client.post(
                    "/api/auth/login", json={"email": org["email"], "password": PASSWORD}
                )
            ).json()["access_token"]
            client.headers["Authorization"] = f"Bearer {token}"
            owner = str(org["owners"][0])
            now = datetime.now(UTC)
            combos: list[tuple[str, str, Any]] = [
                ("newest first, no filter", "/api/leads", {}),
                ("stage=qualified", "/api/leads", {"stage": "qualified"}),
                (
                    "stage=proposal+negotiation, owner",
                    "/api/leads",
                    {"stage": ["proposal", "negotiation"], "owner_id": owner},
                ),
                ("score=A, source=google", "/api/leads", {"score": "A", "source": "google"}),
                (
                    "created in a 30-day window",
                    "/api/leads",
                    {
                        "created_from": (now - timedelta(days=90)).isoformat(),
                        "created_to": (now - timedelta(days=60)).isoformat(),
                    },
                ),
                (
                    "channel=Paid Social, attributed, 30 days",
                    "/api/leads",
                    {
                        "channel": "Paid Social",
                        "attribution_status": "attributed",
                        "created_from": (now - timedelta(days=30)).isoformat(),
                    },
                ),
                ("search q=silva", "/api/leads", {"q": "silva"}),
                ("search q=ana.160 (e-mail prefix)", "/api/leads", {"q": "ana.160"}),
                ("search q=souza empresa 12", "/api/leads", {"q": "souza empresa 12"}),
                ("sort=score, score=A+B", "/api/leads", {"sort": "score", "score": ["A", "B"]}),
                ("deep page 1000 (offset 49,950)", "/api/leads", {"page": 1000}),
                ("pipeline board (20 cards/stage)", "/api/pipeline", {}),
            ]
            results = {}
            for name, path, params in combos:
                merged = {"page_size": 50, **params} if path == "/api/leads" else params
                results[name] = await measure(client, path, merged, args.requests)
                print(f"{name:45s} {json.dumps(results[name])}", flush=True)
        await close_app(app)
        await databases.dispose()
        return {
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"cores": os.cpu_count(), "load_avg": os.getloadavg()},
            "leads": args.leads,
            "load_seconds": round(load_seconds, 1),
            "requests_per_combo": args.requests,
            "page_size": 50,
            "results": results,
        }
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    load_modules()
    report = asyncio.run(run(args))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"leads-list-{int(time.time())}.json"
    out.write_text(json.dumps(report, indent=2, default=str))
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
