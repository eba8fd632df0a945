"""tracking: domains, A/B tests, landing pages

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 14:43:30.385378
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rastro.core.db import tenant_rls_sql
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('domains',
    sa.Column('domain_id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('domain_name', sa.String(length=255), nullable=False),
    sa.Column('domain_url', sa.String(length=500), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('site_key', sa.String(length=40), nullable=False),
    sa.Column('allowed_origins', postgresql.ARRAY(sa.String(length=255)), server_default='{}', nullable=False),
    sa.Column('metadata', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_domains_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('domain_id', name=op.f('pk_domains')),
    sa.UniqueConstraint('organization_id', 'domain_name', name=op.f('uq_domains_organization_id_domain_name')),
    sa.UniqueConstraint('site_key', name=op.f('uq_domains_site_key'))
    )
    op.create_index(op.f('ix_domains_organization_id'), 'domains', ['organization_id'], unique=False)
    op.create_table('ab_tests',
    sa.Column('ab_test_id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('domain_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['domain_id'], ['domains.domain_id'], name=op.f('fk_ab_tests_domain_id_domains'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_ab_tests_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ab_test_id', name=op.f('pk_ab_tests'))
    )
    op.create_index(op.f('ix_ab_tests_domain_id'), 'ab_tests', ['domain_id'], unique=False)
    op.create_index(op.f('ix_ab_tests_organization_id'), 'ab_tests', ['organization_id'], unique=False)
    op.create_table('landing_pages',
    sa.Column('page_id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('domain_id', sa.Uuid(), nullable=False),
    sa.Column('page_url', sa.Text(), nullable=False),
    sa.Column('url_key', sa.Text(), nullable=False),
    sa.Column('page_name', sa.String(length=255), nullable=False),
    sa.Column('page_variant', sa.String(length=50), nullable=True),
    sa.Column('is_control', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('ab_test_id', sa.Uuid(), nullable=True),
    sa.Column('variant_weight', sa.Integer(), server_default='1', nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['ab_test_id'], ['ab_tests.ab_test_id'], name=op.f('fk_landing_pages_ab_test_id_ab_tests'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['domain_id'], ['domains.domain_id'], name=op.f('fk_landing_pages_domain_id_domains'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_landing_pages_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('page_id', name=op.f('pk_landing_pages'))
    )
    op.create_index(op.f('ix_landing_pages_ab_test_id'), 'landing_pages', ['ab_test_id'], unique=False)
    op.create_index(op.f('ix_landing_pages_domain_id'), 'landing_pages', ['domain_id'], unique=False)
    op.create_index('ix_landing_pages_domain_id_url_key', 'landing_pages', ['domain_id', 'url_key'], unique=False)
    op.create_index(op.f('ix_landing_pages_organization_id'), 'landing_pages', ['organization_id'], unique=False)

    for table in ("domains", "ab_tests", "landing_pages"):
        for statement in tenant_rls_sql(table):
            op.execute(statement)

def downgrade() -> None:
    op.drop_index(op.f('ix_landing_pages_organization_id'), table_name='landing_pages')
    op.drop_index('ix_landing_pages_domain_id_url_key', table_name='landing_pages')
    op.drop_index(op.f('ix_landing_pages_domain_id'), table_name='landing_pages')
    op.drop_index(op.f('ix_landing_pages_ab_test_id'), table_name='landing_pages')
    op.drop_table('landing_pages')
    op.drop_index(op.f('ix_ab_tests_organization_id'), table_name='ab_tests')
    op.drop_index(op.f('ix_ab_tests_domain_id'), table_name='ab_tests')
    op.drop_table('ab_tests')
    op.drop_index(op.f('ix_domains_organization_id'), table_name='domains')
    op.drop_table('domains')
