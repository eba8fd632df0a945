"""Request and response shapes of the auth module."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    PlainSerializer,
    StringConstraints,
)

from rastro.core.inputs import NotNull
from rastro.core.types import Name

Role = Literal["admin", "manager", "analyst", "viewer"]
Locale = Literal["pt-BR", "en"]
Theme = Literal["light", "dark", "system"]
Password = Annotated[str, StringConstraints(min_length=10, max_length=256)]


def _lower(value: str) -> str:
    return value.strip().lower()


Email = Annotated[EmailStr, AfterValidator(_lower)]


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- sign-in -----------------------------------------------------------------------------


class LoginRequest(Schema):
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=255)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class RefreshRequest(Schema):
    refresh_token: Annotated[str, StringConstraints(min_length=10, max_length=512)]


class SwitchOrganizationRequest(Schema):
    organization_id: uuid.UUID


class TokenPair(Schema):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires")


class OrganizationRef(Schema):
    id: uuid.UUID
    name: str
    slug: str


class OrganizationWithRole(OrganizationRef):
    role: Role


class CurrentOrganization(OrganizationRef):
    """The organization a session works in, with what every page formats by."""

    currency: str
    timezone: str


class Me(Schema):
    id: uuid.UUID
    email: str
    name: str
    locale: Locale
    theme: Theme
    organization: CurrentOrganization
    role: Role
    organizations: list[OrganizationWithRole]
    permissions: list[str]


class MeUpdate(Schema):
    name: Annotated[Name | None, NotNull] = None
    locale: Annotated[Locale | None, NotNull] = None
    theme: Annotated[Theme | None, NotNull] = None


class PasswordChange(Schema):
    current_password: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    new_password: Password


# --- organizations and members -----------------------------------------------------------


class OrganizationCreate(Schema):
    name: Name


class Organization(Schema):
    id: uuid.UUID
    name: str
    slug: str
    timezone: str
    currency: str
    locale: str
    country: str
    created_at: datetime


TimeZone = Annotated[str, StringConstraints(min_length=1, max_length=64)]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


class OrganizationUpdate(Schema):
    name: Annotated[Name | None, NotNull] = None
    timezone: Annotated[TimeZone | None, NotNull] = None
    currency: Annotated[CurrencyCode | None, NotNull] = None
    locale: Annotated[Locale | None, NotNull] = None
    country: Annotated[CountryCode | None, NotNull] = None


class Member(Schema):
    user_id: uuid.UUID
    email: str
    name: str
    role: Role
    is_active: bool
    created_at: datetime


class MemberInvite(Schema):
    email: Email
    role: Role


class Invitation(Schema):
    """An invitation as the inviting organization sees it."""

    id: uuid.UUID
    email: str
    role: Role
    status: Literal["pending", "accepted", "declined", "revoked"]
    created_at: datetime
    expires_at: datetime


class InvitationCreated(Schema):
    invitation: Invitation
    delivery: Literal["email", "link"] = Field(
        description="`email`: the invitation was e-mailed to the address (the instance has a "
        "mail sender); `link`: no sender is configured, pass the token on yourself."
    )
    token: str | None = Field(
        description="With `delivery: link` only, the one-time token, shown once: a person "
        "without an account registers with it (POST /api/auth/invitations/register); one with "
        "an account sees the invitation after signing in. Null when e-mailed. The same answer "
        "whether or not the e-mail has an account."
    )


class PasswordResetRequest(Schema):
    email: Email


class PasswordResetRequested(Schema):
    status: Literal["requested"] = Field(
        "requested",
        description="The same answer whether or not the address has an account: when it "
        "has one, a reset link is e-mailed to it.",
    )


class PasswordResetOptions(Schema):
    """How a forgotten password can be reset on this server."""

    by_email: bool = Field(
        description="Whether Rastro sends e-mail (`MAIL_SENDER` is not `none`): without it "
        "no reset link arrives, and an administrator gives one (`rastro users reset-link`)."
    )


class PasswordResetConfirm(Schema):
    token: Annotated[str, StringConstraints(min_length=10, max_length=128)]
    new_password: Password


class MyInvitation(Schema):
    """An invitation addressed to the signed-in user's e-mail."""

    id: uuid.UUID
    organization: OrganizationRef
    role: Role
    created_at: datetime
    expires_at: datetime


class InvitationToken(Schema):
    token: Annotated[str, StringConstraints(min_length=10, max_length=128)]


class InvitationPreview(Schema):
    """What an invitation's link offers, shown to whoever holds its token."""

    organization: OrganizationRef
    role: Role
    email: str
    expires_at: datetime


class InvitationRegistration(Schema):
    token: Annotated[str, StringConstraints(min_length=10, max_length=128)]
    name: Name
    password: Password


class MemberUpdate(Schema):
    role: Annotated[Role | None, NotNull] = None
    is_active: Annotated[bool | None, NotNull] = None


# --- API keys ----------------------------------------------------------------------------


class UserRef(Schema):
    id: uuid.UUID
    name: str


class ApiKey(Schema):
    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    created_by: UserRef | None


class ApiKeyCreate(Schema):
    name: Name
    scopes: list[Annotated[str, StringConstraints(max_length=64)]] = Field(min_length=1)


class ApiKeyCreated(Schema):
    api_key: ApiKey
    key: str = Field(description="The secret key. Shown once; store it now.")


class ScopeInfo(Schema):
    scope: str
    description: str


# --- credentials ---------------------------------------------------------------------------

Secret = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8192)]
# Validated as a URL, kept (and dumped) as the string without its trailing slash.
HttpUrl = Annotated[
    AnyHttpUrl,
    AfterValidator(lambda url: str(url).rstrip("/")),
    PlainSerializer(str, return_type=str),
]


class Credential(Schema):
    id: uuid.UUID
    name: str
    service: str
    api_key_masked: str
    api_secret_masked: str | None
    api_url: str | None
    settings: dict[str, Any] = Field(description="Secret settings are masked (`••••` + hint)")
    is_active: bool
    created_at: datetime
    updated_at: datetime


class CredentialCreate(Schema):
    name: Name
    service: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    api_key: Secret
    api_secret: Secret | None = None
    api_url: HttpUrl | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    is_active: bool = True


class CredentialUpdate(Schema):
    name: Annotated[Name | None, NotNull] = None
    api_key: Annotated[Secret | None, NotNull] = Field(
        None, description="Omit to keep the current key"
    )
    api_secret: Secret | None = Field(None, description="Omit to keep the current secret")
    api_url: HttpUrl | None = None
    settings: Annotated[dict[str, Any] | None, NotNull] = Field(
        None,
        description=(
            "Replaces the settings; a secret setting omitted or sent masked keeps its value,"
            " one set to null is removed"
        ),
    )
    is_active: Annotated[bool | None, NotNull] = None


class SettingFieldInfo(Schema):
    name: str
    label: str
    required: bool
    secret: bool = Field(
        False, description="Encrypted and write-only: responses show it masked (`••••` + hint)"
    )


class ServiceInfo(Schema):
    service: str
    label: str
    default_api_url: str | None
    needs_secret: bool
    settings_fields: list[SettingFieldInfo]
