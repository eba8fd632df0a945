"""Bodies of the contact imports (CSV with a column mapping and progress) and of the
subscription forms (double opt-in)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ImportStatus = Literal["uploaded", "queued", "running", "done", "failed"]
ImportErrorCode = Literal[
    "missing_email",
    "invalid_email",
    "duplicate_email",
    "invalid_phone",
    "name_too_long",
    "tag_too_long",
    "too_many_tags",
    "attribute_too_long",
]
Column = Field(min_length=1, max_length=200)


class ImportMapping(BaseModel):
    """Which column of the file holds each field; `attributes` maps an attribute's name to
    its column. Columns not named are ignored."""

    email: str = Column
    name: str | None = Field(None, min_length=1, max_length=200)
    phone: str | None = Field(None, min_length=1, max_length=200)
    tags: str | None = Field(None, min_length=1, max_length=200)
    attributes: dict[str, str] = Field(default_factory=dict, max_length=50)


class ImportStart(BaseModel):
    mapping: ImportMapping
    audience_id: uuid.UUID | None = Field(
        None, description="A static audience every imported contact joins"
    )
    status: Literal["active", "unconfirmed"] = Field(
        "active",
        description="The status of contacts the import creates (existing ones keep theirs)",
    )
    phone_country: str = Field(
        "BR", pattern=r"^[A-Z]{2}$", description="Country of phones written without +"
    )


class ContactImport(BaseModel):
    """An import and its progress: `rows_done` of `total_rows`, of which `created`,
    `updated` and `skipped` (each skipped row has an error code in the errors CSV)."""

    model_config = ConfigDict(from_attributes=True)

    import_id: uuid.UUID
    file_name: str
    columns: list[str]
    total_rows: int
    status: ImportStatus
    rows_done: int
    created: int
    updated: int
    skipped: int
    audience_id: uuid.UUID | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class ImportUpload(BaseModel):
    """An uploaded file before its mapping: the import, its first rows and the mapping
    guessed from its headers."""

    contact_import: ContactImport
    sample_rows: list[dict[str, str]]
    suggested_mapping: ImportMapping | None


# --- subscription forms --------------------------------------------------------------------


class FormIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    audience_id: uuid.UUID | None = None
    tags: list[str] = Field(default_factory=list, max_length=20)
    sender_id: uuid.UUID | None = None
    from_name: str = Field(min_length=1, max_length=200)
    from_address: str = Field(min_length=3, max_length=320)
    language: Literal["pt-BR", "en"] = "pt-BR"
    redirect_url: str | None = Field(
        None, max_length=2000, description="https page shown after subscribing (else ours)"
    )


class Form(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    form_id: uuid.UUID
    name: str
    token: str
    audience_id: uuid.UUID | None
    tags: list[str]
    sender_id: uuid.UUID | None
    from_name: str
    from_address: str
    language: Literal["pt-BR", "en"]
    redirect_url: str | None
    created_at: datetime
    action_url: str = ""
    snippet: str = Field("", description="The HTML form to paste in a page")


class SubscribeIn(BaseModel):
    """A subscription (the form's fields; `website` is a honeypot people leave empty)."""

    email: str = Field(min_length=1, max_length=320)
    name: str | None = Field(None, max_length=255)
    website: str | None = Field(None, max_length=500)


class Subscribed(BaseModel):
    result: Literal["pending_confirmation"] = "pending_confirmation"
