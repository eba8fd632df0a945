"""AWS Signature Version 4 (docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html)
with the standard library: the canonical request, the string to sign, the signing key
derived from the secret by HMAC-SHA256 over date, region, service and `aws4_request`,
and the `Authorization` header. Checked against AWS's published test suite."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

ALGORITHM = "AWS4-HMAC-SHA256"


@dataclass(frozen=True)
class AwsCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def __repr__(self) -> str:  # keep the secret out of logs
        return f"AwsCredentials(access_key_id={self.access_key_id[:4]}…)"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _canonical_query(query: str) -> str:
    pairs = []
    for part in query.split("&") if query else []:
        name, _, value = part.partition("=")
        pairs.append((quote(name, safe="-_.~"), quote(value, safe="-_.~")))
    return "&".join(f"{n}={v}" for n, v in sorted(pairs))


def canonical_request(
    method: str, path: str, query: str, headers: dict[str, str], body: bytes
) -> tuple[str, str]:
    """(the canonical request, its signed headers list)."""
    lowered = {name.lower().strip(): " ".join(value.split()) for name, value in headers.items()}
    signed = ";".join(sorted(lowered))
    lines = "".join(f"{name}:{lowered[name]}\n" for name in sorted(lowered))
    return (
        "\n".join(
            [
                method.upper(),
                quote(path or "/", safe="/-_.~"),
                _canonical_query(query),
                lines,
                signed,
                hashlib.sha256(body).hexdigest(),
            ]
        ),
        signed,
    )


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = _hmac(f"AWS4{secret}".encode(), date)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return key


def authorization(
    credentials: AwsCredentials,
    *,
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
    region: str,
    service: str,
    amz_date: str,
) -> str:
    """The `Authorization` header for a request whose `headers` (host and x-amz-date among
    them) are all signed."""
    request, signed = canonical_request(method, path, query, headers, body)
    date = amz_date[:8]
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(request.encode()).hexdigest()])
    key = signing_key(credentials.secret_access_key, date, region, service)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"{ALGORITHM} Credential={credentials.access_key_id}/{scope}, "
        f"SignedHeaders={signed}, Signature={signature}"
    )


def sign_headers(
    credentials: AwsCredentials,
    *,
    method: str,
    url_host: str,
    path: str,
    body: bytes,
    region: str,
    service: str,
    content_type: str,
    now: datetime | None = None,
) -> dict[str, str]:
    """The headers of a signed request (Host, X-Amz-Date, Content-Type, the session
    token when there is one, and Authorization)."""
    amz_date = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    headers = {"host": url_host, "x-amz-date": amz_date, "content-type": content_type}
    if credentials.session_token:
        headers["x-amz-security-token"] = credentials.session_token
    headers["authorization"] = authorization(
        credentials,
        method=method,
        path=path,
        query="",
        headers=headers,
        body=body,
        region=region,
        service=service,
        amz_date=amz_date,
    )
    return headers
