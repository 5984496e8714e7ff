"""Daily digests of drafts, edited drafts, and the approval policy a draft was made under.

``digest`` records each digest mail sent to a rep (its token is ``FD-<id>-…``); a draft
listed in one carries the digest's id and its number there, which the rep's answer
("approve 1 3, skip 2") names. ``draft.edited_at`` says the rep replaced the text;
``draft.policy`` is ``manual``, ``auto`` or ``unless-objected:<N>h``.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from followupd.model.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("mailbox_id", sa.Integer(), sa.ForeignKey("mailbox.id"), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=False, unique=True),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("used_at", UTCDateTime(), nullable=True),
    )
    with op.batch_alter_table("draft", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edited_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("policy", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("digest_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("digest_number", sa.Integer(), nullable=True))
        batch_op.create_index("ix_draft_digest_id", ["digest_id"])
        batch_op.create_foreign_key("fk_draft_digest_id", "digest", ["digest_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("draft", schema=None) as batch_op:
        batch_op.drop_constraint("fk_draft_digest_id", type_="foreignkey")
        batch_op.drop_index("ix_draft_digest_id")
        batch_op.drop_column("digest_number")
        batch_op.drop_column("digest_id")
        batch_op.drop_column("policy")
        batch_op.drop_column("edited_at")
    op.drop_table("digest")
