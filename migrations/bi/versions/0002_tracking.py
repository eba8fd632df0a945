"""tracking: sessions, utm_tracking, page_views, events, visitor_journeys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 14:43:30.519323
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from rastro.core.db import tenant_rls_sql
from rastro.tracking import partitions
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('events',
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('session_id', sa.String(length=80), nullable=False),
    sa.Column('page_id', sa.Uuid(), nullable=True),
    sa.Column('event_type', sa.String(length=40), nullable=False),
    sa.Column('event_category', sa.String(length=255), nullable=True),
    sa.Column('event_action', sa.String(length=255), nullable=True),
    sa.Column('event_label', sa.String(length=500), nullable=True),
    sa.Column('event_value', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('element_id', sa.String(length=255), nullable=True),
    sa.Column('element_class', sa.String(length=500), nullable=True),
    sa.Column('event_data', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('event_id', 'created_at', name=op.f('pk_events')),
    postgresql_partition_by='RANGE (created_at)'
    )
    op.create_index('ix_events_created_at', 'events', ['created_at'], unique=False)
    op.create_index('ix_events_event_type', 'events', ['event_type'], unique=False)
    op.create_index(op.f('ix_events_organization_id'), 'events', ['organization_id'], unique=False)
    op.create_index('ix_events_session_id', 'events', ['session_id'], unique=False)
    op.create_table('page_views',
    sa.Column('view_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('session_id', sa.String(length=80), nullable=False),
    sa.Column('page_id', sa.Uuid(), nullable=True),
    sa.Column('client_view_id', sa.String(length=64), nullable=True),
    sa.Column('page_url', sa.Text(), nullable=False),
    sa.Column('page_title', sa.Text(), nullable=True),
    sa.Column('referrer', sa.Text(), nullable=True),
    sa.Column('view_order', sa.Integer(), nullable=False),
    sa.Column('time_on_page', sa.Integer(), nullable=True),
    sa.Column('exit_page', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('view_id', 'created_at', name=op.f('pk_page_views')),
    postgresql_partition_by='RANGE (created_at)'
    )
    op.create_index('ix_page_views_created_at', 'page_views', ['created_at'], unique=False)
    op.create_index(op.f('ix_page_views_organization_id'), 'page_views', ['organization_id'], unique=False)
    op.create_index('ix_page_views_session_id', 'page_views', ['session_id', 'view_order'], unique=False)
    op.create_table('sessions',
    sa.Column('session_id', sa.String(length=80), nullable=False),
    sa.Column('domain_id', sa.Uuid(), nullable=False),
    sa.Column('first_page_id', sa.Uuid(), nullable=True),
    sa.Column('visitor_id', sa.String(length=64), nullable=False),
    sa.Column('client_session_id', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('total_page_views', sa.Integer(), server_default='0', nullable=False),
    sa.Column('total_events', sa.Integer(), server_default='0', nullable=False),
    sa.Column('converted', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('return_visits', sa.Integer(), server_default='0', nullable=False),
    sa.Column('is_bot', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('channel', sa.String(length=40), nullable=True),
    sa.Column('campaign_key', sa.String(length=64), nullable=True),
    sa.Column('metadata', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_sessions'))
    )
    op.create_index(op.f('ix_sessions_client_session_id'), 'sessions', ['client_session_id'], unique=False)
    op.create_index(op.f('ix_sessions_converted'), 'sessions', ['converted'], unique=False)
    op.create_index(op.f('ix_sessions_domain_id'), 'sessions', ['domain_id'], unique=False)
    op.create_index(op.f('ix_sessions_organization_id'), 'sessions', ['organization_id'], unique=False)
    op.create_index(op.f('ix_sessions_started_at'), 'sessions', ['started_at'], unique=False)
    op.create_index(op.f('ix_sessions_visitor_id'), 'sessions', ['visitor_id'], unique=False)
    op.create_table('utm_tracking',
    sa.Column('tracking_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('session_id', sa.String(length=80), nullable=False),
    sa.Column('visitor_id', sa.String(length=64), nullable=False),
    sa.Column('domain_id', sa.Uuid(), nullable=False),
    sa.Column('page_id', sa.Uuid(), nullable=True),
    sa.Column('utm_source', sa.String(length=255), nullable=True),
    sa.Column('utm_medium', sa.String(length=255), nullable=True),
    sa.Column('utm_campaign', sa.String(length=255), nullable=True),
    sa.Column('utm_id', sa.String(length=255), nullable=True),
    sa.Column('utm_term', sa.String(length=255), nullable=True),
    sa.Column('utm_content', sa.String(length=255), nullable=True),
    sa.Column('gclid', sa.String(length=255), nullable=True),
    sa.Column('gbraid', sa.String(length=255), nullable=True),
    sa.Column('wbraid', sa.String(length=255), nullable=True),
    sa.Column('fbclid', sa.String(length=255), nullable=True),
    sa.Column('fbc', sa.String(length=255), nullable=True),
    sa.Column('fbp', sa.String(length=255), nullable=True),
    sa.Column('ttclid', sa.String(length=255), nullable=True),
    sa.Column('li_fat_id', sa.String(length=255), nullable=True),
    sa.Column('msclkid', sa.String(length=255), nullable=True),
    sa.Column('src', sa.String(length=255), nullable=True),
    sa.Column('sck', sa.String(length=255), nullable=True),
    sa.Column('xcod', sa.String(length=255), nullable=True),
    sa.Column('channel', sa.String(length=40), nullable=False),
    sa.Column('device', sa.String(length=20), nullable=True),
    sa.Column('match_type', sa.String(length=20), nullable=True),
    sa.Column('attribution_model', sa.String(length=20), nullable=True),
    sa.Column('referrer', sa.Text(), nullable=True),
    sa.Column('page_url', sa.Text(), nullable=True),
    sa.Column('url_params', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('user_agent', sa.Text(), nullable=True),
    sa.Column('client_ip', postgresql.INET(), nullable=True),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('tracking_id', 'created_at', name=op.f('pk_utm_tracking')),
    postgresql_partition_by='RANGE (created_at)'
    )
    op.create_index('ix_utm_tracking_created_at', 'utm_tracking', ['created_at'], unique=False)
    op.create_index('ix_utm_tracking_fbclid', 'utm_tracking', ['fbclid'], unique=False)
    op.create_index('ix_utm_tracking_gclid', 'utm_tracking', ['gclid'], unique=False)
    op.create_index(op.f('ix_utm_tracking_organization_id'), 'utm_tracking', ['organization_id'], unique=False)
    op.create_index('ix_utm_tracking_session_id', 'utm_tracking', ['session_id'], unique=False)
    op.create_index('ix_utm_tracking_utm_campaign', 'utm_tracking', ['utm_campaign'], unique=False)
    op.create_index('ix_utm_tracking_utm_source', 'utm_tracking', ['utm_source'], unique=False)
    op.create_index('ix_utm_tracking_visitor_id', 'utm_tracking', ['visitor_id'], unique=False)
    op.create_table('visitor_journeys',
    sa.Column('journey_id', sa.Uuid(), nullable=False),
    sa.Column('visitor_id', sa.String(length=64), nullable=False),
    sa.Column('domain_id', sa.Uuid(), nullable=False),
    sa.Column('first_visit_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_visit_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('total_sessions', sa.Integer(), server_default='1', nullable=False),
    sa.Column('total_page_views', sa.Integer(), server_default='0', nullable=False),
    sa.Column('converted', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('conversion_session_id', sa.String(length=80), nullable=True),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('journey_id', name=op.f('pk_visitor_journeys')),
    sa.UniqueConstraint('domain_id', 'visitor_id', name=op.f('uq_visitor_journeys_domain_id_visitor_id'))
    )
    op.create_index(op.f('ix_visitor_journeys_organization_id'), 'visitor_journeys', ['organization_id'], unique=False)

    for table in ("sessions", "utm_tracking", "page_views", "events", "visitor_journeys"):
        for statement in tenant_rls_sql(table):
            op.execute(statement)
    # The first months' partitions; the tracking.maintain_partitions job keeps creating them.
    today = datetime.now(UTC).date()
    for parent in partitions.PARTITIONED_TABLES:
        for month in partitions.months_to_create(today, ahead=3):
            for statement in partitions.create_statements(parent, month):
                op.execute(statement)

def downgrade() -> None:
    op.drop_index(op.f('ix_visitor_journeys_organization_id'), table_name='visitor_journeys')
    op.drop_table('visitor_journeys')
    op.drop_index('ix_utm_tracking_visitor_id', table_name='utm_tracking')
    op.drop_index('ix_utm_tracking_utm_source', table_name='utm_tracking')
    op.drop_index('ix_utm_tracking_utm_campaign', table_name='utm_tracking')
    op.drop_index('ix_utm_tracking_session_id', table_name='utm_tracking')
    op.drop_index(op.f('ix_utm_tracking_organization_id'), table_name='utm_tracking')
    op.drop_index('ix_utm_tracking_gclid', table_name='utm_tracking')
    op.drop_index('ix_utm_tracking_fbclid', table_name='utm_tracking')
    op.drop_index('ix_utm_tracking_created_at', table_name='utm_tracking')
    op.drop_table('utm_tracking')
    op.drop_index(op.f('ix_sessions_visitor_id'), table_name='sessions')
    op.drop_index(op.f('ix_sessions_started_at'), table_name='sessions')
    op.drop_index(op.f('ix_sessions_organization_id'), table_name='sessions')
    op.drop_index(op.f('ix_sessions_domain_id'), table_name='sessions')
    op.drop_index(op.f('ix_sessions_converted'), table_name='sessions')
    op.drop_index(op.f('ix_sessions_client_session_id'), table_name='sessions')
    op.drop_table('sessions')
    op.drop_index('ix_page_views_session_id', table_name='page_views')
    op.drop_index(op.f('ix_page_views_organization_id'), table_name='page_views')
    op.drop_index('ix_page_views_created_at', table_name='page_views')
    op.drop_table('page_views')
    op.drop_index('ix_events_session_id', table_name='events')
    op.drop_index(op.f('ix_events_organization_id'), table_name='events')
    op.drop_index('ix_events_event_type', table_name='events')
    op.drop_index('ix_events_created_at', table_name='events')
    op.drop_table('events')
