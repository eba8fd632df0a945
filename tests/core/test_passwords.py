"""Generated passwords: URL-safe, and never starting with `-` (a CLI would read an option)."""

from __future__ import annotations

import re
import secrets
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st

from rastro.core.security import new_password

URL_SAFE = re.compile(r"^[A-Za-z0-9_-]{16}$")


@given(st.data())
def test_no_random_bytes_make_a_password_that_starts_with_a_dash(data):
    """Whatever the random source returns (bytes 0xF8 to 0xFB first make a leading `-`)."""

    def token_bytes(nbytes: int) -> bytes:
        return data.draw(st.binary(min_size=nbytes, max_size=nbytes))

    with mock.patch.object(secrets, "token_bytes", token_bytes):
        password = new_password()
    assert URL_SAFE.match(password), password
    assert not password.startswith("-")


def test_many_real_passwords_are_distinct_and_none_starts_with_a_dash():
    # One in 64 plain URL-safe tokens starts with `-`: 20,000 draws would meet ~300.
    passwords = [new_password() for _ in range(20_000)]
    assert len(set(passwords)) == len(passwords)
    assert all(URL_SAFE.match(p) for p in passwords)
    assert not [p for p in passwords if p.startswith("-")]
