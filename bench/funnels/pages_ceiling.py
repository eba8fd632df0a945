"""Public funnel step pages against the same run's HTTP ceiling (issue 19's target: at
least 30 % of it), load generator included.

    .venv/bin/python -m bench.funnels.pages_ceiling [--duration 15] [--workers 2]
                                                    [--connections 32]

Starts Rastro (`rastro serve --workers N`) on a fresh embedded PostgreSQL, makes a funnel
through the API (capture → checkout with its offer → thank you, on the bench's tracked
site, a Meta pixel), then drives it with wrk (one thread, closed loop): `GET /healthz`
(the ceiling: same app, middleware and server), each step's page, and the ceiling again
(this VM drifts). Each page is reported as requests/s, p50/p99 and a fraction of the mean
of the two ceilings; then the capture page with the tracker's session cookie (a returning
visitor: the session is put on the step in BI). Twice in one run: with the page caches off
(`FUNNEL_PAGE_CACHE=false`: every request reads the organization, funnel, steps, offer,
pixels and domain and renders), then on (the rendered page kept per process and served by
the lean route, `funnels.builder.public.page_cache`).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import httpx

from bench.harness import rastro, write_report, wrk

SCRIPT = Path(__file__).resolve().parent / "page.lua"


def _funnel(base: str, token: str) -> dict[str, str]:
    """The funnel's public paths by step type."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=120) as api:
        domain_id = api.get("/api/domains").json()["items"][0]["domain_id"]
        funnel = api.post(
            "/api/funnels", json={"name": "Bench", "slug": "bench", "domain_id": domain_id}
        ).json()
        paths = {}
        for kind, content in (
            ("capture", {"headline": "Baixe o e-book grátis"}),
            ("checkout", {"headline": "Finalize sua compra"}),
            ("thankyou", {"headline": "Obrigado!"}),
        ):
            step = api.post(
                f"/api/funnels/{funnel['id']}/steps",
                json={"name": kind, "slug": kind, "step_type": kind, "content": content},
            ).json()
            paths[kind] = step["public_path"]
            if kind == "checkout":
                api.put(
                    f"/api/checkout/{funnel['id']}/{step['id']}",
                    json={"product_name": "Curso", "product_price": "97.00"},
                ).raise_for_status()
        api.post(
            "/api/tracking/pixels",
            json={"funnel_id": funnel["id"], "pixel_type": "facebook", "pixel_id": "123456789012"},
        ).raise_for_status()
    for path in paths.values():
        assert httpx.get(base + path).status_code == 200, path
    return paths


def _measure(args: argparse.Namespace, *, cache: bool) -> dict:
    """One server (the page cache on or off): the ceiling, each page, the ceiling again."""
    os.environ["FUNNEL_PAGE_CACHE"] = "true" if cache else "false"
    port = args.port + (1 if cache else 0)
    with rastro("funnel-pages", port=port, workers=args.workers) as run:
        paths = _funnel(run.base, run.token)
        c, d = args.connections, args.duration
        wrk(SCRIPT, run.base, duration=3, connections=c, env={})  # warm-up
        results = {"ceiling": wrk(SCRIPT, run.base, duration=d, connections=c, env={})}
        for kind, path in paths.items():
            wrk(SCRIPT, run.base, duration=3, connections=c, env={"PAGE": path})
            results[kind] = wrk(SCRIPT, run.base, duration=d, connections=c, env={"PAGE": path})
        # A returning visitor: the tracker's cookie, so each page also puts the session on
        # its step in BI (one UPDATE; no such session here, so it changes no row).
        cookie = {"PAGE": paths["capture"], "COOKIE": "k3v9q2m8x1c4p7r0s5t6u2w9"}
        results["capture_with_cookie"] = wrk(
            SCRIPT, run.base, duration=d, connections=c, env=cookie
        )
        results["ceiling_after"] = wrk(SCRIPT, run.base, duration=d, connections=c, env={})
    ceiling = (results["ceiling"]["rps"] + results["ceiling_after"]["rps"]) / 2
    return {
        "results": results,
        "fraction_of_ceiling": {
            kind: round(results[kind]["rps"] / ceiling, 3)
            for kind in (*paths, "capture_with_cookie")
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--port", type=int, default=8933)
    parser.add_argument(
        "--cache-only", action="store_true", help="only the server with the page cache on"
    )
    args = parser.parse_args()
    load = os.getloadavg()
    # The same run, A/B: every request reads the page's rows (cache off), then the
    # per-process cache checked against the rows' fingerprint (`pages.get_public_step`).
    measured = {} if args.cache_only else {"cache_off": _measure(args, cache=False)}
    measured["cache_on"] = _measure(args, cache=True)
    write_report(
        "funnel-pages",
        {
            "workers": args.workers,
            "connections": args.connections,
            "duration_s": args.duration,
            "load_average_before": [round(x, 1) for x in load],
            "load_average_after": [round(x, 1) for x in os.getloadavg()],
            **measured,
        },
    )


if __name__ == "__main__":
    main()
