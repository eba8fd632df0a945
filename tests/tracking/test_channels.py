"""Traffic channels (GA4 default channel group) and the enrichment helpers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rastro.tracking.channels import classify, resolve_touch
from rastro.tracking.enrichment import campaign_key, parse_agent, parse_landing, url_key

CHANNELS = {
    "Direct",
    "Cross-network",
    "Paid Shopping",
    "Paid Search",
    "Paid Social",
    "Paid Video",
    "Display",
    "Paid Other",
    "Organic Shopping",
    "Organic Social",
    "Organic Video",
    "Organic Search",
    "Referral",
    "Email",
    "Affiliates",
    "Audio",
    "SMS",
    "Mobile Push Notifications",
    "Unassigned",
}


@pytest.mark.parametrize(
    ("params", "referrer", "channel"),
    [
        ({"utm_source": "google", "utm_medium": "cpc"}, None, "Paid Search"),
        ({"gclid": "x"}, None, "Paid Search"),
        ({"wbraid": "x"}, "www.google.com", "Paid Search"),
        ({"msclkid": "x"}, None, "Paid Search"),
        ({"utm_source": "facebook", "utm_medium": "paid"}, None, "Paid Social"),
        ({"utm_source": "ig", "utm_medium": "cpc"}, None, "Paid Social"),
        ({"ttclid": "x"}, None, "Paid Social"),
        ({"li_fat_id": "x"}, None, "Paid Social"),
        ({"utm_source": "youtube", "utm_medium": "cpv"}, None, "Paid Video"),
        (
            {"utm_source": "shopping", "utm_medium": "cpc", "utm_campaign": "shopping-bf"},
            None,
            "Paid Shopping",
        ),
        ({"utm_source": "dv360", "utm_medium": "display"}, None, "Display"),
        ({"utm_source": "taboola", "utm_medium": "cpc"}, None, "Paid Other"),
        (
            {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "pmax cross-network"},
            None,
            "Cross-network",
        ),
        ({}, "www.google.com.br", "Organic Search"),
        ({}, "br.search.yahoo.com", "Organic Search"),
        ({}, "l.instagram.com", "Organic Social"),
        ({"fbclid": "x"}, None, "Organic Social"),
        ({}, "www.youtube.com", "Organic Video"),
        ({}, "blog.parceiro.com.br", "Referral"),
        ({"utm_source": "newsletter", "utm_medium": "email"}, None, "Email"),
        ({"utm_source": "hotmart", "utm_medium": "affiliate"}, None, "Affiliates"),
        ({"utm_source": "sms", "utm_medium": "text"}, None, "SMS"),
        ({"utm_source": "app", "utm_medium": "push"}, None, "Mobile Push Notifications"),
        ({}, None, "Direct"),
        ({}, "loja.example.com", "Direct"),
        ({"utm_source": "xyz", "utm_medium": "weird"}, None, "Unassigned"),
    ],
)
def test_channels(params, referrer, channel):
    assert resolve_touch(params, referrer, "loja.example.com").channel == channel


@given(st.text(max_size=30), st.text(max_size=30), st.none() | st.text(max_size=30))
def test_classify_always_returns_a_known_channel(source, medium, campaign):
    assert classify(source, medium, campaign) in CHANNELS


def test_landing_parameters_and_campaign_keys():
    landing = parse_landing(
        "https://a.com/lp?UTM_Source=google&utm_medium=cpc&gclid=1&fbclid=2&src=fb&sck=x&xcod=9&a=1"
    )
    assert landing.touch == {
        "utm_source": "google",
        "utm_medium": "cpc",
        "gclid": "1",
        "fbclid": "2",
        "src": "fb",
        "sck": "x",
        "xcod": "9",
    }
    assert landing.other_params == {"a": "1"}
    assert campaign_key(landing.touch) == campaign_key({**landing.touch, "src": "other"})
    assert campaign_key(landing.touch) != campaign_key({**landing.touch, "gclid": "3"})
    assert campaign_key({}) is None
    assert (
        url_key("https://www.Loja.com/Oferta/?x=1#y")
        == url_key("loja.com/oferta")
        == "loja.com/oferta"
    )


@pytest.mark.parametrize(
    ("agent", "device", "bot"),
    [
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
            "mobile",
            False,
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
            "tablet",
            False,
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15",
            "desktop",
            False,
        ),
        ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "bot", True),
        ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "bot", True),
        ("python-requests/2.32.0", "bot", True),
        ("", "bot", True),
    ],
)
def test_devices_and_bots(agent, device, bot):
    parsed = parse_agent(agent)
    assert (parsed.device, parsed.is_bot) == (device, bot)
