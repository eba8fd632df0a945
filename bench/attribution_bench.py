"""The eight attribution models over generated journeys, in-process (no server, no database).

    .venv/bin/python -m bench.attribution_bench [--converting 100000] [--non-converting 300000]

Journeys are generated with a fixed seed: 1-10 touches each (mostly short: P(n) ∝ 0.7ⁿ),
over 10 channels with unequal shares and 200 campaigns (each paid or e-mail channel owns
some; Direct and organic touches have none), touches spread over the 30 days before the
conversion; each converting journey is one conversion with a revenue of 50-5,000. The
non-converting journeys are read by the Markov model only (the others ignore them, but get
them too, as the API passes them). Each model is timed through `MODELS` (encoding the
journeys itself, as one API call does), at channel and at campaign level, and all eight
together through `credit_all` (one encoding, as the comparison page does).
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from rastro.analytics.attribution import MODELS, Journey, Level, Touch, credit_all

CHANNELS = (
    ("Direct", 0.18, 0),
    ("Organic Search", 0.20, 0),
    ("Paid Search", 0.18, 60),
    ("Paid Social", 0.16, 60),
    ("Organic Social", 0.08, 0),
    ("Email", 0.08, 30),
    ("Referral", 0.05, 0),
    ("Display", 0.04, 30),
    ("Paid Video", 0.02, 15),
    ("Affiliates", 0.01, 5),
)
SOURCES = {
    "Direct": "(direct)",
    "Organic Search": "google",
    "Paid Search": "google",
    "Paid Social": "meta",
    "Organic Social": "instagram.com",
    "Email": "newsletter",
    "Referral": "blog.example.com",
    "Display": "google",
    "Paid Video": "youtube",
    "Affiliates": "partner",
}


def generate(converting: int, non_converting: int, seed: int = 17) -> list[Journey]:
    """`converting` converting journeys then `non_converting` others, reproducibly."""
    rng = np.random.default_rng(seed)
    count = converting + non_converting
    lengths = rng.choice(np.arange(1, 11), size=count, p=_length_shares())
    total = int(lengths.sum())
    shares = np.array([share for _, share, _ in CHANNELS])
    channel_of = rng.choice(len(CHANNELS), size=total, p=shares / shares.sum())
    campaign_pick = rng.integers(0, 1 << 30, size=total)
    days_before = rng.uniform(0, 30, size=total)
    revenue = rng.uniform(50, 5000, size=count).round(2)
    end = datetime(2026, 12, 1, tzinfo=UTC)
    campaigns = {
        name: [f"{name.lower().replace(' ', '-')}-{i:03d}" for i in range(n)]
        for name, _, n in CHANNELS
    }
    journeys: list[Journey] = []
    position = 0
    for index, length in enumerate(lengths.tolist()):
        converted_at = end - timedelta(days=index % 365)
        # Chronological: the largest Δt first.
        order = sorted(range(position, position + length), key=lambda i: -days_before[i])
        touches = []
        for i in order:
            name = CHANNELS[channel_of[i]][0]
            owned = campaigns[name]
            campaign = owned[campaign_pick[i] % len(owned)] if owned else None
            touches.append(
                Touch(
                    at=converted_at - timedelta(days=float(days_before[i])),
                    channel=name,
                    source=SOURCES[name],
                    medium=None,
                    campaign=campaign,
                    content=None,
                )
            )
        position += length
        if index < converting:
            journeys.append(Journey(tuple(touches), converted_at, 1.0, float(revenue[index])))
        else:
            journeys.append(Journey(tuple(touches), None))
    return journeys


def _length_shares() -> np.ndarray:
    weights = 0.7 ** np.arange(1, 11)
    return weights / weights.sum()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--converting", type=int, default=100_000)
    parser.add_argument("--non-converting", type=int, default=300_000)
    args = parser.parse_args()
    started = time.perf_counter()
    journeys = generate(args.converting, args.non_converting)
    touches = sum(len(j.touches) for j in journeys)
    print(
        f"generated {len(journeys):,} journeys ({args.converting:,} converting), "
        f"{touches:,} touches in {time.perf_counter() - started:.1f} s"
    )
    levels: tuple[Level, ...] = ("channel", "campaign")
    for level in levels:
        total = total_cpu = 0.0  # wall and this process's CPU (load-independent) seconds
        for name, model in MODELS.items():
            started, cpu = time.perf_counter(), time.process_time()
            credits = model(journeys, level=level)
            elapsed, used = time.perf_counter() - started, time.process_time() - cpu
            total += elapsed
            total_cpu += used
            credited = sum(c.conversions for c in credits.values())
            print(
                f"{level:8} {name:16} {elapsed:6.2f} s  (CPU {used:5.2f} s)  "
                f"{len(credits):4} keys  {credited:,.1f} conversions"
            )
        print(
            f"{level:8} {'all eight':16} {total:6.2f} s  (CPU {total_cpu:5.2f} s; each call "
            "encodes the journeys)"
        )
        started, cpu = time.perf_counter(), time.process_time()
        credit_all(journeys, level=level)
        print(
            f"{level:8} {'credit_all':16} {time.perf_counter() - started:6.2f} s  "
            f"(CPU {time.process_time() - cpu:5.2f} s; one encoding)"
        )


if __name__ == "__main__":
    main()
