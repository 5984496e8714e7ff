"""The trade context of a thread: amount, validity, incoterm, payment terms, tier, notes ...

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import followupd.model.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("amount", sa.Numeric(16, 2)),
    ("currency", sa.String(3)),
    ("validity", sa.Date()),
    ("incoterm", sa.String(128)),
    ("payment_terms", sa.String(300)),
    ("shipment_date", sa.Date()),
    ("lead_time", sa.String(200)),
    ("products", sa.Text()),
    ("tier", sa.String(16)),
    ("event", sa.String(200)),
    ("tracking_number", sa.String(64)),
    ("carrier", sa.String(64)),
    ("notes", sa.Text()),
    ("paid_at", followupd.model.types.UTCDateTime()),
)


def upgrade() -> None:
    with op.batch_alter_table("thread", schema=None) as batch_op:
        for name, type_ in _COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("thread", schema=None) as batch_op:
        for name, _ in reversed(_COLUMNS):
            batch_op.drop_column(name)
