"""Header index of the mail already in a folder at first sight: known_message.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import followupd.model.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "known_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox_id", sa.Integer(), nullable=False),
        sa.Column("folder", sa.String(length=255), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=True),
        sa.Column("in_reply_to", sa.String(length=998), nullable=True),
        sa.Column("references", sa.Text(), nullable=True),
        sa.Column("from_addr", sa.String(length=320), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("sent_at", followupd.model.types.UTCDateTime(), nullable=True),
        sa.Column("utc_offset", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["mailbox_id"],
            ["mailbox.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mailbox_id", "folder", "uidvalidity", "uid"),
    )
    with op.batch_alter_table("known_message", schema=None) as batch_op:
        batch_op.create_index("ix_known_message_message_id", ["message_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("known_message", schema=None) as batch_op:
        batch_op.drop_index("ix_known_message_message_id")
    op.drop_table("known_message")
