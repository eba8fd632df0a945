"""Demo traffic: three months of visits to two sites, through the real collector code path:
several paid campaigns, returning visitors (multi-touch journeys) and an A/B test whose
variant B keeps visitors longer (so it visibly converts more)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from rastro.core.db import SYSTEM, Scope
from rastro.core.module import DemoContext
from rastro.tracking import partitions
from rastro.tracking.service import collector, config

SITES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "https://loja.exemplo.com.br",
        ("/", "/oferta", "/oferta-b", "/produto/kit-verao", "/checkout", "/obrigado"),
    ),
    ("https://curso.exemplo.com.br", ("/", "/webinar", "/inscricao", "/obrigado")),
)
AGENTS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
)
# (weight, query string, referrer)
TRAFFIC = (
    (
        30,
        "utm_source=google&utm_medium=cpc&utm_campaign=black-friday&utm_term=kit+verao&gclid={id}",
        None,
    ),
    (
        22,
        "utm_source=facebook&utm_medium=paid_social&utm_campaign=bf-remarketing&utm_content=video-15s&fbclid={id}",
        "https://l.facebook.com/",
    ),
    (
        8,
        "utm_source=ig&utm_medium=cpc&utm_campaign=bf-stories&fbclid={id}",
        "https://l.instagram.com/",
    ),
    (6, "ttclid={id}&utm_source=tiktok&utm_medium=paid&utm_campaign=ugc-creators", None),
    (
        10,
        "utm_source=google&utm_medium=cpc&utm_campaign=marca-institucional&utm_term=exemplo&gclid={id}",
        None,
    ),
    (
        9,
        "utm_source=facebook&utm_medium=paid_social&utm_campaign=lookalike-compradores&utm_content=carrossel&fbclid={id}",
        "https://l.facebook.com/",
    ),
    (
        4,
        "utm_source=linkedin&utm_medium=cpc&utm_campaign=b2b-decisores&li_fat_id={id}",
        "https://www.linkedin.com/",
    ),
    (14, "", "https://www.google.com.br/"),
    (12, "", None),
    (5, "utm_source=newsletter&utm_medium=email&utm_campaign=semanal", None),
    (
        3,
        "utm_source=parceiro&utm_medium=affiliate&src=afiliado123",
        "https://blog.parceiro.com.br/",
    ),
)


def _pick(rng: random.Random) -> tuple[str, str | None]:
    total = sum(w for w, _, _ in TRAFFIC)
    point = rng.uniform(0, total)
    for weight, query, referrer in TRAFFIC:
        if point < weight:
            return query.format(id=uuid.UUID(int=rng.getrandbits(128)).hex), referrer
        point -= weight
    return "", None


async def load_demo(
    context: DemoContext, *, days: int = 90, sessions_per_day: int = 30, seed: int = 7
) -> str:
    rng = random.Random(seed)  # noqa: S311 (demo data, not security)
    sites: list[tuple[collector.SiteContext, tuple[str, ...], str]] = []
    async with context.databases.crm.transaction(
        Scope.organization(context.organization_id)
    ) as crm:
        for url, paths in SITES:
            domain = await config.create_domain(
                crm,
                domain_url=url,
                domain_name=None,
                allowed_origins=None,
                metadata={
                    "settings": {
                        "timezone": "America/Sao_Paulo",
                        "language": "pt-BR",
                        "cookie_days": 90,
                    }
                },
                is_active=True,
            )
            pages = {}
            for path in paths:
                page = await config.create_landing_page(
                    crm,
                    domain_id=domain.domain_id,
                    page_url=url + path,
                    page_name=path.strip("/") or "home",
                    is_active=True,
                )
                pages[path] = page
            if "/oferta-b" in pages:
                await config.create_ab_test(
                    crm,
                    domain_id=domain.domain_id,
                    name="Oferta: título A x B",
                    variants=[
                        {
                            "page_id": pages["/oferta"].page_id,
                            "page_variant": "A",
                            "is_control": True,
                            "variant_weight": 1,
                        },
                        {
                            "page_id": pages["/oferta-b"].page_id,
                            "page_variant": "B",
                            "is_control": False,
                            "variant_weight": 1,
                        },
                    ],
                )
            site, _ = await config.load_site(crm, domain.site_key)
            assert site is not None
            sites.append((site, paths, url))
    visitors = [f"v_demo{rng.getrandbits(96):024x}" for _ in range(days * sessions_per_day // 2)]
    start = datetime.now(UTC) - timedelta(days=days)
    async with context.databases.bi.transaction(SYSTEM) as bi:
        await partitions.create_months_since(bi, start.date(), datetime.now(UTC).date())
    total_sessions = total_events = 0
    for day in range(days):
        async with context.databases.bi.transaction(
            Scope.organization(context.organization_id)
        ) as bi:
            for n in range(sessions_per_day):
                site, paths, base = sites[n % len(sites)]
                at = start + timedelta(days=day, seconds=rng.randint(7 * 3600, 23 * 3600))
                query, referrer = _pick(rng)
                visitor = rng.choice(visitors)
                events = _session_events(rng, base, paths, query, referrer, at)
                result = await collector.ingest(
                    bi,
                    site=site,
                    payload={
                        "visitor_id": visitor,
                        "session_id": f"s_demo{rng.getrandbits(96):024x}",
                        "context": {
                            "screen": rng.choice(["390x844", "1920x1080", "1366x768"]),
                            "language": "pt-BR",
                        },
                        "events": events,
                    },
                    hit=collector.Hit(
                        ip=f"198.51.100.{rng.randint(1, 254)}", user_agent=rng.choice(AGENTS)
                    ),
                    secret=context.secret_key,
                    now=at + timedelta(minutes=30),
                )
                total_sessions += 1
                total_events += result.count("stored")
    return (
        f"  Demo traffic: {total_sessions} sessions, {total_events} events on 2 sites (tracking)."
    )


def _session_events(
    rng: random.Random,
    base: str,
    paths: tuple[str, ...],
    query: str,
    referrer: str | None,
    at: datetime,
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    clock = at
    landing = rng.choice(paths[:3])
    # Variant B of the A/B test keeps visitors for at least one more page.
    least = 1 if landing == "/oferta-b" else 0
    route = [landing, *rng.sample(paths[1:], k=rng.randint(least, min(3, len(paths) - 1)))]
    previous = referrer
    for index, path in enumerate(route):
        url = base + path + (f"?{query}" if query and index == 0 else "")
        view_id = f"pv{index}"
        events.append(
            _event(
                "page_view",
                clock,
                url=url,
                referrer=previous,
                title=path.strip("/") or "Início",
                view_id=view_id,
            )
        )
        for depth in (25, 50, 75, 100)[: rng.randint(0, 4)]:
            clock += timedelta(seconds=rng.randint(3, 20))
            events.append(_event("scroll", clock, url=url, value=depth, view_id=view_id))
        if rng.random() < 0.4:
            clock += timedelta(seconds=rng.randint(2, 30))
            events.append(
                _event(
                    "click",
                    clock,
                    url=url,
                    label=rng.choice(["Comprar agora", "Quero participar", "Falar no WhatsApp"]),
                    element_id="cta",
                    view_id=view_id,
                )
            )
        if path in ("/inscricao", "/checkout") and rng.random() < 0.5:
            clock += timedelta(seconds=rng.randint(5, 60))
            events.append(_event("form_start", clock, url=url, view_id=view_id))
            clock += timedelta(seconds=rng.randint(20, 120))
            events.append(
                _event(
                    "form_submit" if rng.random() < 0.6 else "form_abandon",
                    clock,
                    url=url,
                    view_id=view_id,
                )
            )
        seconds = rng.randint(5, 240)
        clock += timedelta(seconds=seconds)
        events.append(
            _event(
                "page_leave",
                clock,
                view_id=view_id,
                time_on_page=seconds,
                exit=index == len(route) - 1,
            )
        )
        previous = url
    return events


def _event(kind: str, at: datetime, **fields: Any) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "type": kind, "ts": int(at.timestamp() * 1000), **fields}
