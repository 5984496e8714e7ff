"""The buyer's own working hours, when the rep knows them (``set hours 08:00-16:30``).

``contact.work_hours`` is ``HH:MM-HH:MM`` in the buyer's local time; it replaces the
configured and per-country hours for that buyer's send slots. Empty: the configured ones.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("work_hours", sa.String(length=11), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_column("work_hours")
