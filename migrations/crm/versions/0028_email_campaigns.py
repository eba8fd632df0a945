"""email: contacts link, audiences, templates, senders, campaigns, messages, links,
unsubscribes and suppressions (seed 004)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 17:36:37.590476
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rastro.core.db import tenant_rls_sql
from sqlalchemy.dialects import postgresql

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_audiences",
        sa.Column("audience_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column(
            "filter", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('static', 'filter')", name=op.f("ck_email_audiences_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_email_audiences_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("audience_id", name=op.f("pk_email_audiences")),
    )
    op.create_index(
        op.f("ix_email_audiences_organization_id"),
        "email_audiences",
        ["organization_id"],
        unique=False,
    )
    op.create_table(
        "email_templates",
        sa.Column("template_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_email_templates_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("template_id", name=op.f("pk_email_templates")),
    )
    op.create_index(
        op.f("ix_email_templates_organization_id"),
        "email_templates",
        ["organization_id"],
        unique=False,
    )
    op.create_table(
        "email_contacts",
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="active", nullable=False),
        sa.Column(
            "attributes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "tags", postgresql.ARRAY(sa.String(length=60)), server_default="{}", nullable=False
        ),
        sa.Column("soft_bounces", sa.Integer(), server_default="0", nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consent_ip", sa.String(length=45), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('active', 'unconfirmed', 'suppressed', 'bounced', 'complained', 'unsubscribed')",
            name=op.f("ck_email_contacts_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.contact_id"],
            name=op.f("fk_email_contacts_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_email_contacts_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_email_contacts")),
    )
    op.create_index(
        op.f("ix_email_contacts_organization_id"),
        "email_contacts",
        ["organization_id"],
        unique=False,
    )
    op.create_index(
        "ix_email_contacts_organization_id_status",
        "email_contacts",
        ["organization_id", "status"],
        unique=False,
    )
    op.create_index(
        "ix_email_contacts_tags", "email_contacts", ["tags"], unique=False, postgresql_using="gin"
    )
    op.create_table(
        "email_senders",
        sa.Column("sender_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("credential_id", sa.Uuid(), nullable=True),
        sa.Column("rate_per_second", sa.Integer(), server_default="10", nullable=False),
        sa.Column(
            "settings", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("webhook_token", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('simulated', 'smtp')", name=op.f("ck_email_senders_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_email_senders_credential_id_credentials"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_email_senders_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sender_id", name=op.f("pk_email_senders")),
        sa.UniqueConstraint("webhook_token", name=op.f("uq_email_senders_webhook_token")),
    )
    op.create_index(
        op.f("ix_email_senders_organization_id"), "email_senders", ["organization_id"], unique=False
    )
    op.create_table(
        "email_audience_contacts",
        sa.Column("audience_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column(
            "added_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["audience_id"],
            ["email_audiences.audience_id"],
            name=op.f("fk_email_audience_contacts_audience_id_email_audiences"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["email_contacts.contact_id"],
            name=op.f("fk_email_audience_contacts_contact_id_email_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_email_audience_contacts_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "audience_id", "contact_id", name=op.f("pk_email_audience_contacts")
        ),
    )
    op.create_index(
        "ix_email_audience_contacts_contact_id",
        "email_audience_contacts",
        ["contact_id"],
        unique=False,
    )
    op.create_table(
        "email_campaigns",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("objective", sa.String(length=500), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("from_name", sa.String(length=200), nullable=False),
        sa.Column("from_address", sa.String(length=320), nullable=False),
        sa.Column("reply_to", sa.String(length=320), nullable=True),
        sa.Column("template_id", sa.Uuid(), nullable=True),
        sa.Column("sender_id", sa.Uuid(), nullable=True),
        sa.Column("html", sa.Text(), server_default="", nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column("landing_page_id", sa.Uuid(), nullable=True),
        sa.Column("utm_source", sa.String(length=255), server_default="newsletter", nullable=False),
        sa.Column("utm_campaign", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=12), server_default="draft", nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("generation_status", sa.String(length=10), nullable=True),
        sa.Column("generation_cursor", sa.Uuid(), nullable=True),
        sa.Column("generated", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "exclusions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'scheduled', 'sending', 'sent', 'paused', 'cancelled')",
            name=op.f("ck_email_campaigns_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_email_campaigns_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"],
            ["email_senders.sender_id"],
            name=op.f("fk_email_campaigns_sender_id_email_senders"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["email_templates.template_id"],
            name=op.f("fk_email_campaigns_template_id_email_templates"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_email_campaigns")),
    )
    op.create_index(
        op.f("ix_email_campaigns_organization_id"),
        "email_campaigns",
        ["organization_id"],
        unique=False,
    )
    op.create_index(
        "ix_email_campaigns_organization_id_created_at",
        "email_campaigns",
        ["organization_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "email_suppressions",
        sa.Column("suppression_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "reason IN ('manual', 'hard_bounce', 'soft_bounces', 'complaint', 'imported')",
            name=op.f("ck_email_suppressions_reason_known"),
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["email_contacts.contact_id"],
            name=op.f("fk_email_suppressions_contact_id_email_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_email_suppressions_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("suppression_id", name=op.f("pk_email_suppressions")),
        sa.UniqueConstraint(
            "organization_id",
            "contact_id",
            name=op.f("uq_email_suppressions_organization_id_contact_id"),
        ),
    )
    op.create_table(
        "email_campaign_audiences",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("audience_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audience_id"],
            ["email_audiences.audience_id"],
            name=op.f("fk_email_campaign_audiences_audience_id_email_audiences"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["email_campaigns.campaign_id"],
            name=op.f("fk_email_campaign_audiences_campaign_id_email_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_email_campaign_audiences_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "campaign_id", "audience_id", name=op.f("pk_email_campaign_audiences")
        ),
    )
    op.create_table(
        "email_links",
        sa.Column("link_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["email_campaigns.campaign_id"],
            name=op.f("fk_email_links_campaign_id_email_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_email_links_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("link_id", name=op.f("pk_email_links")),
        sa.UniqueConstraint("campaign_id", "url", name=op.f("uq_email_links_campaign_id_url")),
    )
    op.create_index(
        op.f("ix_email_links_organization_id"), "email_links", ["organization_id"], unique=False
    )
    op.create_table(
        "email_messages",
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="queued", nullable=False),
        sa.Column("provider_message_id", sa.String(length=255), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_clicked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'sent', 'failed')", name=op.f("ck_email_messages_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["email_campaigns.campaign_id"],
            name=op.f("fk_email_messages_campaign_id_email_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["email_contacts.contact_id"],
            name=op.f("fk_email_messages_contact_id_email_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_email_messages_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_email_messages")),
        sa.UniqueConstraint(
            "campaign_id", "contact_id", name=op.f("uq_email_messages_campaign_id_contact_id")
        ),
    )
    op.create_index(
        "ix_email_messages_campaign_id_status",
        "email_messages",
        ["campaign_id", "status", "message_id"],
        unique=False,
    )
    op.create_index("ix_email_messages_contact_id", "email_messages", ["contact_id"], unique=False)
    op.create_index(
        "ix_email_messages_provider_message_id",
        "email_messages",
        ["provider_message_id"],
        unique=False,
        postgresql_where=sa.text("provider_message_id IS NOT NULL"),
    )
    op.create_table(
        "email_unsubscribes",
        sa.Column("unsubscribe_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("audience_id", sa.Uuid(), nullable=True),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(scope = 'global' AND campaign_id IS NULL AND audience_id IS NULL) OR (scope = 'campaign' AND campaign_id IS NOT NULL AND audience_id IS NULL) OR (scope = 'list' AND audience_id IS NOT NULL AND campaign_id IS NULL)",
            name=op.f("ck_email_unsubscribes_scope_target"),
        ),
        sa.CheckConstraint(
            "scope IN ('global', 'campaign', 'list')",
            name=op.f("ck_email_unsubscribes_scope_known"),
        ),
        sa.ForeignKeyConstraint(
            ["audience_id"],
            ["email_audiences.audience_id"],
            name=op.f("fk_email_unsubscribes_audience_id_email_audiences"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["email_campaigns.campaign_id"],
            name=op.f("fk_email_unsubscribes_campaign_id_email_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["email_contacts.contact_id"],
            name=op.f("fk_email_unsubscribes_contact_id_email_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_email_unsubscribes_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("unsubscribe_id", name=op.f("pk_email_unsubscribes")),
    )
    op.create_index(
        op.f("ix_email_unsubscribes_organization_id"),
        "email_unsubscribes",
        ["organization_id"],
        unique=False,
    )
    op.create_index(
        "uq_email_unsubscribes_target",
        "email_unsubscribes",
        [
            "contact_id",
            "scope",
            sa.literal_column(
                "coalesce(campaign_id, audience_id, '00000000-0000-0000-0000-000000000000')"
            ),
        ],
        unique=True,
    )
    for table in [
        "email_contacts",
        "email_audiences",
        "email_audience_contacts",
        "email_templates",
        "email_senders",
        "email_campaigns",
        "email_campaign_audiences",
        "email_messages",
        "email_links",
        "email_unsubscribes",
        "email_suppressions",
    ]:
        for statement in tenant_rls_sql(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_index("uq_email_unsubscribes_target", table_name="email_unsubscribes")
    op.drop_index(op.f("ix_email_unsubscribes_organization_id"), table_name="email_unsubscribes")
    op.drop_table("email_unsubscribes")
    op.drop_index(
        "ix_email_messages_provider_message_id",
        table_name="email_messages",
        postgresql_where=sa.text("provider_message_id IS NOT NULL"),
    )
    op.drop_index("ix_email_messages_contact_id", table_name="email_messages")
    op.drop_index("ix_email_messages_campaign_id_status", table_name="email_messages")
    op.drop_table("email_messages")
    op.drop_index(op.f("ix_email_links_organization_id"), table_name="email_links")
    op.drop_table("email_links")
    op.drop_table("email_campaign_audiences")
    op.drop_table("email_suppressions")
    op.drop_index("ix_email_campaigns_organization_id_created_at", table_name="email_campaigns")
    op.drop_index(op.f("ix_email_campaigns_organization_id"), table_name="email_campaigns")
    op.drop_table("email_campaigns")
    op.drop_index("ix_email_audience_contacts_contact_id", table_name="email_audience_contacts")
    op.drop_table("email_audience_contacts")
    op.drop_index(op.f("ix_email_senders_organization_id"), table_name="email_senders")
    op.drop_table("email_senders")
    op.drop_index("ix_email_contacts_tags", table_name="email_contacts", postgresql_using="gin")
    op.drop_index("ix_email_contacts_organization_id_status", table_name="email_contacts")
    op.drop_index(op.f("ix_email_contacts_organization_id"), table_name="email_contacts")
    op.drop_table("email_contacts")
    op.drop_index(op.f("ix_email_templates_organization_id"), table_name="email_templates")
    op.drop_table("email_templates")
    op.drop_index(op.f("ix_email_audiences_organization_id"), table_name="email_audiences")
    op.drop_table("email_audiences")
