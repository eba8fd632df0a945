"""How the tracking module's public endpoints travel: `/t.js` compressed once and sent in
the coding a browser accepts, the collector's answers never compressed (its hot path)."""

from __future__ import annotations

import gzip

import brotli
import pytest

from rastro.tracking.tracker import TRACKER_FILE
from tests.core.test_compression import raw_get
from tests.tracking.factories import ORIGIN, batch, event, make_site

DECODE = {"br": brotli.decompress, "gzip": gzip.decompress}


@pytest.mark.parametrize(
    ("accept", "encoding"), [("gzip, deflate, br, zstd", "br"), ("gzip, deflate", "gzip")]
)
async def test_the_tracker_script_is_sent_compressed(client, accept, encoding):
    original = TRACKER_FILE.read_bytes()
    response, raw = await raw_get(client, "/t.js", accept)
    assert response.status_code == 200
    assert response.headers["content-encoding"] == encoding
    assert response.headers["content-type"].startswith("application/javascript")
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert int(response.headers["content-length"]) == len(raw) < len(original) * 0.6
    assert DECODE[encoding](raw) == original
    again, _ = await raw_get(client, "/t.js", accept, **{"if-none-match": response.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["etag"] == response.headers["etag"]


async def test_the_tracker_script_is_plain_for_a_client_that_takes_no_coding(client):
    original = TRACKER_FILE.read_bytes()
    plain, raw = await raw_get(client, "/t.js", None)
    assert "content-encoding" not in plain.headers
    assert plain.headers["vary"] == "Accept-Encoding"
    assert int(plain.headers["content-length"]) == len(raw)
    assert raw == original
    # Each coding is its own representation, with its own validator.
    compressed, _ = await raw_get(client, "/t.js", "gzip")
    assert plain.headers["etag"] != compressed.headers["etag"]
    stale, _ = await raw_get(client, "/t.js", None, **{"if-none-match": compressed.headers["etag"]})
    assert stale.status_code == 200


async def test_the_collectors_answer_is_never_compressed(client, databases):
    site = await make_site(client, databases)
    body = batch(site, [event("click", offset=-i, url=f"{ORIGIN}/lp") for i in range(40)])
    request = client.build_request(
        "POST",
        "/api/collect",
        json=body,
        headers={"origin": ORIGIN, "accept-encoding": "gzip, deflate, br"},
    )
    response = await client.send(request)
    assert response.status_code == 200, response.text
    assert len(response.content) > 1024  # large enough that any other API answer is gzipped
    assert "content-encoding" not in response.headers
    assert response.json()["accepted"] == 40
