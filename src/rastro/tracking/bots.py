"""Which user agents are not a person's browser: Rastro's one rule set for bots.

ua-parser's regexes (uap-core) do most of the work: they give crawlers, many link previewers
and monitors the device family `Spider`, and name HTTP libraries and headless browsers as
their user-agent family. Each family below adds the names ua-parser gives and a few
distinctive tokens of clients its regexes do not know. Tokens are whole product names
(`bytespider`, `postmanruntime/`), never a bare `bot`, so a phone model such as CUBOT stays
a phone.

A client that ua-parser can name as neither a browser nor an operating system (`Mozilla/5.0`
alone, `-`, an empty header, an unknown tool) is `unknown_client`: a person's browser always
says at least which system it runs on. Every family, that one included, is stored as
`is_bot` with device `bot`, so none of them is ever counted as a human visit.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BotFamily:
    """ua-parser's user-agent families for these clients, and the lower-case tokens (anywhere
    in the user agent) and prefixes (at its start) of clients ua-parser's regexes don't name."""

    agents: frozenset[str]
    tokens: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()


# Checked in this order; `crawler` also takes every ua-parser `Spider` that no family before
# it claimed (monitors and previewers are Spiders for ua-parser too). Plain substring tests,
# not regexes: this runs for every new user agent the collector sees.
BOT_FAMILIES: dict[str, BotFamily] = {
    "headless_browser": BotFamily(
        agents=frozenset({"HeadlessChrome", "PhantomJS"}),
        tokens=("headlesschrome/", "phantomjs/", "slimerjs/"),
    ),
    "monitoring": BotFamily(
        agents=frozenset({"PingdomBot", "UptimeRobot", "NewRelicPingerBot", "Better Uptime Bot"}),
        tokens=(
            "lighthouse",
            "pagespeed",
            "gtmetrix",
            "datadog",
            "site24x7",
            "statuscake",
            "checkly/",
            "uptime-kuma/",
            "newrelicpinger",
            "pingdom",
            "uptimerobot",
        ),
    ),
    "link_preview": BotFamily(
        agents=frozenset(
            {
                "FacebookBot",
                "WhatsApp",
                "TelegramBot",
                "Slackbot-LinkExpanding",
                "Slackbot",
                "Twitterbot",
                "LinkedInBot",
                "Discordbot",
                "Pinterestbot",
                "redditbot",
            }
        ),
        tokens=(
            "facebookexternalhit",
            "facebookcatalog",
            "facebot",
            "skypeuripreview",
            "iframely",
            "vkshare",
            "embedly",
            "redditbot",
        ),
        prefixes=("whatsapp/",),
    ),
    "http_library": BotFamily(
        agents=frozenset(
            {
                "Python Requests",
                "Python aiohttp",
                "Python-urllib",
                "curl",
                "Wget",
                "Go-http-client",
                "okhttp",
                "axios",
                "PostmanRuntime",
                "insomnia",
                "Java",
                "Apache-HttpClient",
                "libwww-perl",
            }
        ),
        tokens=("aiohttp/", "node-fetch", "undici", "guzzlehttp", "postmanruntime/"),
        prefixes=("python-", "python/", "dart/", "java/", "okhttp/", "insomnia/", "ruby"),
    ),
    "crawler": BotFamily(
        agents=frozenset({"Bytespider", "Mediapartners-Google"}),
        tokens=("bytespider", "mediapartners-google", "adsbot-google"),
    ),
}
UNKNOWN_CLIENT = "unknown_client"


def bot_family(
    user_agent: str, *, agent_family: str | None, os_family: str | None, is_spider: bool
) -> str | None:
    """The bot family of a user agent already parsed by ua-parser, or None for a browser."""
    lowered = user_agent.lower()
    for family, rules in BOT_FAMILIES.items():
        if (
            agent_family in rules.agents
            or any(token in lowered for token in rules.tokens)
            or lowered.startswith(rules.prefixes)
        ):
            return family
    if is_spider:
        return "crawler"
    if not agent_family and not os_family:
        return UNKNOWN_CLIENT
    return None
