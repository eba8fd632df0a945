"""Settings validation, key generation, AES-GCM keyring, JWT and passwords."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from rastro.config import generate_encryption_key, load_settings
from rastro.core.security import (
    ExpiredToken,
    Keyring,
    KeyringError,
    TokenError,
    decode_jwt,
    encode_jwt,
    hash_password,
    verify_password,
)

STRONG = "s" * 48


def _clear_env(monkeypatch):
    for var in (
        "RASTRO_ENV",
        "SECRET_KEY",
        "ENCRYPTION_KEY",
        "CRM_DATABASE_URL",
        "BI_DATABASE_URL",
        "RASTRO_DATA_DIR",
    ):
        monkeypatch.delenv(var, raising=False)


def test_production_refuses_to_start_without_keys(monkeypatch, tmp_path):
    _clear_env(monkeypatch)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RASTRO_ENV", "production")
    with pytest.raises(SystemExit) as exc:
        load_settings()
    message = str(exc.value)
    assert "SECRET_KEY must be set" in message
    assert "ENCRYPTION_KEY must be set" in message
    assert not (tmp_path / "var").exists()


@pytest.mark.parametrize("weak", ["changeme", "secret", "short-but-random"])
def test_production_refuses_placeholder_or_short_secret_keys(monkeypatch, tmp_path, weak):
    _clear_env(monkeypatch)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RASTRO_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", weak)
    monkeypatch.setenv("ENCRYPTION_KEY", generate_encryption_key())
    with pytest.raises(SystemExit, match="SECRET_KEY"):
        load_settings()


def test_production_starts_with_proper_keys(monkeypatch, tmp_path):
    _clear_env(monkeypatch)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RASTRO_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", STRONG)
    monkeypatch.setenv("ENCRYPTION_KEY", generate_encryption_key())
    settings = load_settings()
    assert settings.effective_log_format == "json"


def test_development_generates_keys_into_the_data_dir_once(monkeypatch, tmp_path):
    _clear_env(monkeypatch)
    monkeypatch.setenv("RASTRO_DATA_DIR", str(tmp_path / "data"))
    first = load_settings()
    second = load_settings()
    key_file = tmp_path / "data" / "encryption.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert first.encryption_key_value == second.encryption_key_value == key_file.read_text().strip()
    assert first.secret_key_value == second.secret_key_value
    Keyring(first.encryption_key_value)  # a usable key


def test_invalid_values_give_readable_messages(monkeypatch, tmp_path):
    _clear_env(monkeypatch)
    monkeypatch.setenv("RASTRO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CRM_DATABASE_URL", "sqlite:///x.db")
    monkeypatch.setenv("RASTRO_ENV", "staging")
    with pytest.raises(SystemExit) as exc:
        load_settings()
    message = str(exc.value)
    assert "CRM_DATABASE_URL: Value error, must be a PostgreSQL URL" in message
    assert "RASTRO_ENV" in message


@hsettings(max_examples=50, deadline=None)
@given(st.text(max_size=300), st.text(max_size=40))
def test_keyring_round_trips_any_text(plaintext, context):
    keyring = Keyring(generate_encryption_key())
    sealed = keyring.encrypt(plaintext, context=context)
    assert len(sealed.ciphertext) == 12 + len(plaintext.encode()) + 16  # nonce + text + tag
    assert len(plaintext) < 8 or plaintext.encode() not in sealed.ciphertext
    assert keyring.decrypt(sealed, context=context) == plaintext


def test_keyring_binds_context_and_key_id():
    old, new = generate_encryption_key(), generate_encryption_key()
    ring = Keyring(f"{new},{old}")
    sealed_old = Keyring(old).encrypt("token", context="a")
    assert ring.decrypt(sealed_old, context="a") == "token"  # old keys still decrypt
    assert ring.encrypt("token", context="a").key_id == ring.primary_id
    with pytest.raises(KeyringError):
        ring.decrypt(sealed_old, context="b")
    with pytest.raises(KeyringError, match="no key with id"):
        Keyring(new).decrypt(sealed_old, context="a")


@pytest.mark.parametrize("spec", ["", "k1:notbase64!!", "k1:" + "A" * 10, "bad id!:" + "A" * 43])
def test_keyring_rejects_bad_configuration(spec):
    with pytest.raises(KeyringError):
        Keyring(spec)


def test_jwt_checks_signature_type_and_expiry():
    token = encode_jwt(
        STRONG, subject="u", token_type="access", lifetime=timedelta(minutes=1), claims={}
    )
    assert decode_jwt(STRONG, token, token_type="access")["sub"] == "u"
    with pytest.raises(TokenError):
        decode_jwt(STRONG, token, token_type="refresh")
    with pytest.raises(TokenError):
        decode_jwt("x" * 48, token, token_type="access")
    expired = encode_jwt(
        STRONG, subject="u", token_type="access", lifetime=timedelta(seconds=-1), claims={}
    )
    with pytest.raises(ExpiredToken):
        decode_jwt(STRONG, expired, token_type="access")


def test_passwords_are_argon2_and_verify():
    hashed = hash_password("correct horse")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "correct horse")
    assert not verify_password(hashed, "wrong")
    assert not verify_password(None, "anything")
    assert not verify_password("not-a-hash", "anything")
