"""Traffic channels (GA4 default channel group) and the enrichment helpers."""

from __future__ import annotations

import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rastro.tracking import channels
from rastro.tracking.channels import classify, resolve_touch
from rastro.tracking.enrichment import campaign_key, parse_landing, url_key

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
        # Country-code Google subdomains: the name before the public suffix is google.
        ({}, "images.google.com.br", "Organic Search"),
        ({}, "news.google.co.uk", "Organic Search"),
        ({}, "WWW.Google.COM.BR", "Organic Search"),
        ({}, "sites.google.com.br", "Organic Social"),  # sites.google.com is social in the list
        ({}, "m.facebook.com", "Organic Social"),
        ({}, "blog.google-parceiro.com.br", "Referral"),
        # A click id is not mixed with a lone utm_medium.
        ({"gclid": "x", "utm_medium": "email"}, None, "Paid Search"),
        ({"ttclid": "x", "utm_medium": "email"}, None, "Paid Social"),
        # utm_medium without utm_source: (not set), not the referrer.
        ({"utm_medium": "cpc"}, "www.google.com", "Paid Other"),
        ({"utm_medium": "email"}, "www.google.com", "Email"),
        # fbclid gives way to a UTM medium and to the referrer it stands in for.
        ({"fbclid": "x", "utm_medium": "paid"}, None, "Paid Other"),
        ({"fbclid": "x"}, "l.instagram.com", "Organic Social"),
        ({}, "www.loja.example.com", "Direct"),
    ],
)
def test_channels(params, referrer, channel):
    assert resolve_touch(params, referrer, "loja.example.com").channel == channel


def source_medium(params, referrer, own_host=None):
    touch = resolve_touch(params, referrer, own_host)
    return touch.source, touch.medium


def test_source_and_medium_come_from_one_origin():
    assert source_medium({"gclid": "x", "utm_medium": "email"}, None) == ("google", "cpc")
    assert source_medium({"utm_medium": "cpc"}, "www.google.com") == ("(not set)", "cpc")
    assert source_medium({"utm_source": "google"}, "www.bing.com") == ("google", "(not set)")
    assert source_medium({"fbclid": "x"}, "l.instagram.com") == ("l.instagram.com", "referral")
    assert source_medium({}, "Images.Google.com.BR") == ("images.google.com.br", "organic")


def test_a_www_site_treats_its_bare_domain_as_internal():
    assert resolve_touch({}, "example.com", "www.example.com").channel == "Direct"
    assert resolve_touch({}, "loja.example.com", "www.example.com").channel == "Direct"
    assert resolve_touch({}, "www.example.com", "example.com").channel == "Direct"
    assert resolve_touch({}, "example.com.br", "www.example.com").channel == "Referral"
    assert resolve_touch({}, "notexample.com", "www.example.com").channel == "Referral"


def test_the_suffix_list_is_never_fetched(monkeypatch):
    """tldextract reads its bundled public suffix list: no network, no cache directory."""
    attempts = []

    def no_network(*args, **kwargs):
        attempts.append(args)
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    extractor = channels.suffix_extractor.__wrapped__()  # a fresh one: loads its list now
    assert extractor("news.google.co.uk").domain == "google"
    assert extractor("loja.example.com.br").suffix == "com.br"
    assert attempts == []
    assert channels.source_category("images.google.com.br") == "SEARCH"


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


# Property tests over generated landings: URL parameters, referrer and the site's host.
AD_CLICK_IDS = {
    "gclid": ("google", "cpc"),
    "gbraid": ("google", "cpc"),
    "wbraid": ("google", "cpc"),
    "msclkid": ("bing", "cpc"),
    "ttclid": ("tiktok", "cpc"),
    "li_fat_id": ("linkedin", "cpc"),
}
PARTIAL_UTMS = ("utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id")
KNOWN_SITES = (
    "www.google.com",
    "images.google.com.br",
    "news.google.co.uk",
    "br.search.yahoo.com",
    "www.bing.com",
    "l.facebook.com",
    "l.instagram.com",
    "m.youtube.com",
    "t.co",
    "www.amazon.com.br",
)
labels = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True).filter(lambda label: label != "www")
suffixes = st.sampled_from(("com", "com.br", "co.uk", "net", "org", "de", "io"))
hosts = st.builds(lambda name, suffix: f"{name}.{suffix}", labels, suffixes)
values = st.sampled_from(
    ("google", "Facebook", "ig", "newsletter", "cpc", "Paid", "email", "organic", "social")
) | st.from_regex(r"[A-Za-z0-9 _.-]{1,12}", fullmatch=True)
partial_utms = st.dictionaries(st.sampled_from(PARTIAL_UTMS), values, max_size=4)


@st.composite
def landings(draw):
    """Parameters, referrer host and own host of one landing."""
    own = draw(hosts)
    params = draw(partial_utms)
    if draw(st.booleans()):
        params["utm_source"] = draw(values)
    for click_id in draw(st.sets(st.sampled_from((*AD_CLICK_IDS, "fbclid")), max_size=2)):
        params[click_id] = draw(st.from_regex(r"[A-Za-z0-9_-]{4,20}", fullmatch=True))
    referrer = draw(
        st.none()
        | st.sampled_from(KNOWN_SITES)
        | hosts
        | st.just(own)
        | st.builds(lambda label: f"{label}.{own}", labels)
    )
    return params, referrer, own


def toggle_www(host):
    return host.removeprefix("www.") if host.startswith("www.") else "www." + host


@given(landings())
def test_classification_ignores_case(landing):
    params, referrer, own = landing
    touch = resolve_touch(params, referrer, own)
    shouted = resolve_touch(
        {key: value.upper() for key, value in params.items()},
        referrer.upper() if referrer else None,
        own.upper(),
    )
    assert shouted.channel == touch.channel
    assert (shouted.source.lower(), shouted.medium.lower()) == (
        touch.source.lower(),
        touch.medium.lower(),
    )


@given(landings(), st.booleans(), st.booleans())
def test_www_is_symmetric(landing, www_on_referrer, www_on_site):
    params, referrer, own = landing
    touch = resolve_touch(params, referrer, own)
    if www_on_referrer and referrer:
        referrer = toggle_www(referrer)
    if www_on_site:
        own = toggle_www(own)
    assert resolve_touch(params, referrer, own) == touch


@given(landings())
def test_the_own_site_is_never_a_referrer(landing):
    params, _, own = landing
    for referrer in (own, "www." + own, "loja." + own):
        assert resolve_touch(params, referrer, "www." + own) == resolve_touch(params, None, own)


@given(st.sampled_from(sorted(AD_CLICK_IDS)), partial_utms, st.none() | hosts)
def test_a_click_id_decides_source_and_medium_unless_utm_source_is_set(click_id, utms, referrer):
    touch = resolve_touch({click_id: "abc123", **utms}, referrer, "loja.example.com")
    assert (touch.source, touch.medium) == AD_CLICK_IDS[click_id]
    assert touch.campaign == utms.get("utm_campaign")
    assert touch.channel in ("Paid Search", "Paid Social", "Cross-network", "Paid Shopping")
    tagged = resolve_touch(
        {click_id: "abc123", **utms, "utm_source": "newsletter"}, referrer, "loja.example.com"
    )
    assert (tagged.source, tagged.medium) == ("newsletter", utms.get("utm_medium", "(not set)"))


@given(partial_utms, st.none() | st.sampled_from(KNOWN_SITES) | hosts)
def test_fbclid_stands_in_for_a_missing_referrer_only(utms, referrer):
    touch = resolve_touch({"fbclid": "abc123", **utms}, referrer, "loja.example.com")
    without_fbclid = resolve_touch(utms, referrer, "loja.example.com")
    if utms.get("utm_medium") or referrer:
        assert touch == without_fbclid
    else:
        assert (touch.source, touch.medium, touch.channel) == (
            "facebook.com",
            "referral",
            "Organic Social",
        )


@given(values, st.none() | st.sampled_from(KNOWN_SITES) | hosts)
def test_a_medium_without_source_is_not_set(medium, referrer):
    touch = resolve_touch({"utm_medium": medium}, referrer, "loja.example.com")
    assert (touch.source, touch.medium) == ("(not set)", medium)


def test_landings_are_kept_parsed_only_when_short_and_in_a_bounded_cache():
    from rastro.tracking import enrichment
    from rastro.tracking.service.collector import touch_of

    short = "https://loja.example/lp?utm_source=google&utm_medium=cpc&gclid=abc&x=1"
    first = parse_landing(short)
    assert parse_landing(short) is first  # parsed once
    assert first.campaign_key == campaign_key(first.touch)
    assert touch_of(short, "www.google.com", "loja.example") == resolve_touch(
        first.touch, "www.google.com", "loja.example"
    )
    long = short + "&pad=" + "p" * enrichment.CACHED_URL_LENGTH
    kept = enrichment._cached_landing.cache_info().currsize
    landing = parse_landing(long)
    assert landing.touch == first.touch
    assert landing.other_params["pad"].startswith("p")
    assert parse_landing(long) is not landing  # parsed again, never kept
    assert enrichment._cached_landing.cache_info().currsize == kept
    assert enrichment._cached_landing.cache_info().maxsize == enrichment.URL_CACHE_SIZE
