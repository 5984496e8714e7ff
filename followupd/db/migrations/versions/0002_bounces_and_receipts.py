"""Bounce and read-receipt facts: contact.suppressed_reason, contact.soft_bounces, step.read_at.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import followupd.model.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suppressed_reason", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("soft_bounces", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("step", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("read_at", followupd.model.types.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("step", schema=None) as batch_op:
        batch_op.drop_column("read_at")
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_column("soft_bounces")
        batch_op.drop_column("suppressed_reason")
