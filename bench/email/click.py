"""The click redirect `/e/c/{token}` at a fixed rate (issue 20's target: p99 ≤ 10 ms at
2,000 requests/s) against the same run's `/healthz` ceiling, load generator included.

    .venv/bin/python -m bench.email.click [--rate 2000] [--duration 15] [--workers 2]
                                          [--connections 32] [--messages 20000]

Starts Rastro (`rastro serve --workers N`) on a fresh embedded PostgreSQL, stores one
campaign with three links and `--messages` sent messages to as many contacts (SQL), signs
one click token per message and link with the server's secret key, then drives wrk (one
thread): `/healthz` as fast as it goes (the ceiling), the clicks paced at `--rate`, the
clicks as fast as they go (this machine's click ceiling), and the ceiling again. Each
click verifies its token, reads the message and its link, stores a `click` event (BI)
and the first-click time (CRM) and answers 302 with the UTMs, `mid` and `rid`.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import uuid
from pathlib import Path

import psycopg

from bench.harness import rastro, write_report, wrk
from rastro.core.embedded import EmbeddedPostgres
from rastro.email.service import tokens

SCRIPT = Path(__file__).resolve().parent / "click.lua"

SEED = """
INSERT INTO contacts (contact_id, organization_id, created_at, updated_at)
SELECT ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, %(org)s, now(), now()
FROM generate_series(1, %(n)s) AS g;

INSERT INTO email_contacts (contact_id, organization_id)
SELECT contact_id, %(org)s FROM contacts WHERE organization_id = %(org)s;

INSERT INTO email_campaigns (campaign_id, organization_id, name, subject, from_name,
    from_address, html, status, generation_status, exclusions)
VALUES (%(campaign)s, %(org)s, 'Bench', 'Oferta', 'Loja', 'news@loja.com.br',
    '<a href="https://loja.com.br/a">a</a>', 'sent', 'done', '{}');

INSERT INTO email_links (organization_id, campaign_id, url, position)
SELECT %(org)s, %(campaign)s, 'https://loja.com.br/oferta-' || p || '?cupom=X', p
FROM generate_series(1, 3) AS p;

INSERT INTO email_messages (message_id, organization_id, campaign_id, contact_id, status,
    sent_at)
SELECT gen_random_uuid(), %(org)s, %(campaign)s, contact_id, 'sent',
       now() - interval '1 hour'
FROM contacts WHERE organization_id = %(org)s
"""


def seed(data: Path, messages: int) -> list[str]:
    """Store the campaign and its messages; the click paths, one per message and link."""
    server = EmbeddedPostgres(data)
    secret = (data / "secret.key").read_text().strip()
    campaign = uuid.uuid4()
    with psycopg.connect(server.superuser_conninfo("rastro_crm"), autocommit=True) as conn:
        org = conn.execute("SELECT id FROM organizations LIMIT 1").fetchone()[0]  # type: ignore[index]
        params = {"org": org, "n": messages, "campaign": campaign}
        for statement in SEED.split(";\n\n"):
            conn.execute(statement.replace("%(n)s", str(messages)).encode(), params)
        links = [
            r[0]
            for r in conn.execute(
                "SELECT link_id FROM email_links WHERE campaign_id = %s", (campaign,)
            )
        ]
        ids = [r[0] for r in conn.execute("SELECT message_id FROM email_messages")]
        conn.execute("VACUUM ANALYZE email_messages, email_links, contacts, email_contacts")
    return [
        "/e/c/" + tokens.encode(secret, tokens.TrackingToken("c", org, message, link))
        for message in ids
        for link in links
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=2000)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--port", type=int, default=8941)
    args = parser.parse_args()
    with rastro("email-click", port=args.port, workers=args.workers) as run:
        paths = seed(run.data, args.messages)
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as out:
            out.write("\n".join(paths))
        clicks = {"PATHS": out.name}
        c, d = args.connections, args.duration
        load_start = os.getloadavg()
        wrk(SCRIPT, run.base, duration=3, connections=c, env={"PAGE": "/healthz"})  # warm-up
        results = {
            "ceiling": wrk(SCRIPT, run.base, duration=d, connections=c, env={"PAGE": "/healthz"})
        }
        wrk(SCRIPT, run.base, duration=3, connections=c, env=clicks)  # warm-up
        results["clicks_paced"] = wrk(
            SCRIPT, run.base, duration=d, connections=c, env={**clicks, "RATE": str(args.rate)}
        )
        results["clicks_max"] = wrk(SCRIPT, run.base, duration=d, connections=c, env=clicks)
        results["ceiling_after"] = wrk(
            SCRIPT, run.base, duration=d, connections=c, env={"PAGE": "/healthz"}
        )
        os.unlink(out.name)
        write_report(
            "email-click",
            {
                "workers": args.workers,
                "connections": c,
                "duration_s": d,
                "target_rate": args.rate,
                "messages": args.messages,
                "click_paths": len(paths),
                "load_avg_start": load_start,
                "load_avg_end": os.getloadavg(),
                "results": results,
            },
        )


if __name__ == "__main__":
    main()
