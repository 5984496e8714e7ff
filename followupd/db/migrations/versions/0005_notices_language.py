"""Mails to the rep that take commands (notices), the buyer's language, cadence switches.

``thread.step_base`` is the number of steps the thread had before its current cadence
started ("paid" switches a thread to the after-payment cadence): step numbers go on
counting, so they stay unique in the thread and in the follow-ups' Message-IDs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import followupd.model.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=False),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("created_at", followupd.model.types.UTCDateTime(), nullable=False),
        sa.Column("used_at", followupd.model.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["mailbox_id"], ["mailbox.id"]),
        sa.ForeignKeyConstraint(["thread_id"], ["thread.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index("ix_notice_thread_id", "notice", ["thread_id"])
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("language_source", sa.String(length=16), nullable=True))
    with op.batch_alter_table("thread", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("step_base", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("thread", schema=None) as batch_op:
        batch_op.drop_column("step_base")
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_column("language_source")
        batch_op.drop_column("language")
    op.drop_index("ix_notice_thread_id", table_name="notice")
    op.drop_table("notice")
