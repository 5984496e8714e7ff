"""Commands waiting for their copy in the rep's Sent folder are kept in the database.

A reply whose origin can only be proven by its Sent copy waits up to ``sent_wait_seconds``
for the rep's client to save it; ``awaiting_origin`` keeps the reply meanwhile, so a restart
during the wait resumes the search instead of forgetting the command.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from followupd.model.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "awaiting_origin",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("mailbox_id", sa.Integer(), sa.ForeignKey("mailbox.id"), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("since", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_awaiting_origin_message_id", "awaiting_origin", ["message_id"])


def downgrade() -> None:
    op.drop_index("ix_awaiting_origin_message_id", table_name="awaiting_origin")
    op.drop_table("awaiting_origin")
