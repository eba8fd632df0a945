"""Tables of the auth module (CRM database)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, INET
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rastro.core.db import CrmBase, TenantMixin, TenantRoot, Timestamps, UUIDPrimaryKey

ROLES = ("viewer", "analyst", "manager", "admin")


class Organization(TenantRoot, Timestamps, CrmBase):
    """A tenant (seed 003 `organizations`); seed 004's `tenant_id` is this id."""

    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), server_default="America/Sao_Paulo")
    currency: Mapped[str] = mapped_column(String(3), server_default="BRL")
    locale: Mapped[str] = mapped_column(String(10), server_default="pt-BR")
    country: Mapped[str] = mapped_column(String(2), server_default="BR")
    is_active: Mapped[bool] = mapped_column(server_default="true")


class User(UUIDPrimaryKey, Timestamps, CrmBase):
    """A person who signs in (seed 002 `users`); roles live on memberships."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lowercase"),)

    email: Mapped[str] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(10), server_default="pt-BR")
    theme: Mapped[str] = mapped_column(String(10), server_default="system")
    is_active: Mapped[bool] = mapped_column(server_default="true")
    last_login_at: Mapped[datetime | None]


class Membership(UUIDPrimaryKey, TenantMixin, Timestamps, CrmBase):
    """A user's role in one organization."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("organization_id", "user_id"),
        CheckConstraint(f"role IN {ROLES!r}", name="role_known"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(server_default="true")

    user: Mapped[User] = relationship(lazy="raise")
    organization: Mapped[Organization] = relationship(lazy="raise")


INVITATION_STATUSES = ("pending", "accepted", "declined", "revoked")


class Invitation(UUIDPrimaryKey, TenantMixin, CrmBase):
    """An invitation to join an organization with a role, sent to an e-mail address: the
    membership exists only once the person accepts it (signed in, or by registering with
    the one-time token when they have no account). Only the token's SHA-256 is stored."""

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint(f"role IN {ROLES!r}", name="role_known"),
        CheckConstraint(f"status IN {INVITATION_STATUSES!r}", name="status_known"),
        # One pending invitation per person and organization.
        Index(
            "uq_invitations_pending_email",
            "organization_id",
            "email",
            unique=True,
            postgresql_where="status = 'pending'",
        ),
        Index("ix_invitations_email_status", "email", "status"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20), server_default="pending")
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]

    organization: Mapped[Organization] = relationship(lazy="raise")


class AuthSession(UUIDPrimaryKey, CrmBase):
    """One sign-in: refresh tokens rotate within it; logout revokes it (and its access tokens)."""

    __tablename__ = "auth_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    refresh_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_generation: Mapped[int] = mapped_column(server_default="0")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_used_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    user_agent: Mapped[str | None] = mapped_column(Text)
    ip_address: Mapped[str | None] = mapped_column(INET)


class PasswordReset(UUIDPrimaryKey, CrmBase):
    """A request to reset a password by e-mail. Every request is kept (with the address's
    SHA-256 and the IP) for rate limiting, whether or not the address has an account;
    `user_id` is set when it has one. The one-time token is minted when the mail is sent;
    only its SHA-256 is stored, and it works once, before `expires_at`."""

    __tablename__ = "password_resets"
    __table_args__ = (
        Index("ix_password_resets_email_hash_created_at", "email_hash", "created_at"),
        Index("ix_password_resets_ip_address_created_at", "ip_address", "created_at"),
    )

    email_hash: Mapped[str] = mapped_column(String(64))
    ip_address: Mapped[str | None] = mapped_column(INET)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class LoginAttempt(UUIDPrimaryKey, CrmBase):
    """Sign-in attempts, for rate limiting per account and per IP address."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_hash_created_at", "email_hash", "created_at"),
        Index("ix_login_attempts_ip_address_created_at", "ip_address", "created_at"),
    )

    email_hash: Mapped[str] = mapped_column(String(64))
    ip_address: Mapped[str | None] = mapped_column(INET)
    succeeded: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ApiKey(UUIDPrimaryKey, TenantMixin, CrmBase):
    """A server-to-server key with scopes. Only its SHA-256 is stored."""

    __tablename__ = "api_keys"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    created_by: Mapped[User | None] = relationship(lazy="raise")


class Credential(UUIDPrimaryKey, TenantMixin, Timestamps, CrmBase):
    """An external service account (seed 002 `credentials`). Secrets are AES-GCM ciphertext."""

    __tablename__ = "credentials"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    service: Mapped[str] = mapped_column(String(100), index=True)
    api_key_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    api_secret_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(32))
    api_key_hint: Mapped[str] = mapped_column(String(8))
    api_secret_hint: Mapped[str | None] = mapped_column(String(8))
    api_url: Mapped[str | None] = mapped_column(String(500))
    settings: Mapped[dict[str, Any]] = mapped_column(server_default="{}")
    # The secret settings (rastro.auth.catalog): name -> {"ciphertext": base64, "hint": …}.
    secret_settings: Mapped[dict[str, Any]] = mapped_column(server_default="{}")
    is_active: Mapped[bool] = mapped_column(server_default="true")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
