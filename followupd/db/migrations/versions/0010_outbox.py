"""The outbox of follow-ups, and a mailbox's hold after a provider's throttling reply.

``outbox`` holds one row per follow-up on its way (the exact bytes, the Message-ID and the
state of the send), written in the same transaction as the step and thread, so a restart
knows what was and was not handed to the SMTP server. ``mailbox.send_hold_until`` and
``throttle_strikes`` keep a throttled mailbox quiet for a while.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from followupd.model.types import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("step_id", sa.Integer(), sa.ForeignKey("step.id"), nullable=False, unique=True),
        sa.Column("mailbox_id", sa.Integer(), sa.ForeignKey("mailbox.id"), nullable=False),
        sa.Column("thread_id", sa.Integer(), sa.ForeignKey("thread.id"), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=False, unique=True),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("server_reply", sa.Text(), nullable=True),
        sa.Column("appended_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_outbox_thread_id", "outbox", ["thread_id"])
    op.create_index("ix_outbox_state", "outbox", ["state"])
    with op.batch_alter_table("mailbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("send_hold_until", UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("throttle_strikes", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("mailbox", schema=None) as batch_op:
        batch_op.drop_column("throttle_strikes")
        batch_op.drop_column("send_hold_until")
    op.drop_index("ix_outbox_state", table_name="outbox")
    op.drop_index("ix_outbox_thread_id", table_name="outbox")
    op.drop_table("outbox")
