"""The demo login file (`var/demo-login.txt`): one labelled line per value."""

from __future__ import annotations

from rastro.auth.demo import DEMO_EMAIL, demo_login_text, read_demo_login


def test_the_demo_login_file_labels_its_lines():
    text = demo_login_text(DEMO_EMAIL, "Xy_3-abc")
    assert text == f"email: {DEMO_EMAIL}\npassword: Xy_3-abc\n"
    assert read_demo_login(text) == {"email": DEMO_EMAIL, "password": "Xy_3-abc"}


def test_a_file_from_before_the_labels_reads_as_unlabelled():
    assert read_demo_login(f"{DEMO_EMAIL}\nsecret\n") == {}
