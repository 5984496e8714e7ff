"""Where the buyer's timezone came from, and the Date headers of the mail we see.

``contact.timezone`` stays the zone in use; ``timezone_source`` says how it was found
(contact, learned, country, phone, cctld, default), ``timezone_detail`` why, and
``zone_country`` the country it implies (holidays, and the template language when the contact
has no country of its own). ``message.from_addr``, ``sent_at`` and ``utc_offset`` keep the
sender and the offset of each message's Date header, for learning the buyer's zone.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

import followupd.model.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_CONTACT: tuple[tuple[str, Any], ...] = (
    ("timezone_source", sa.String(length=16)),
    ("timezone_detail", sa.Text()),
    ("zone_country", sa.String(length=2)),
)
_MESSAGE: tuple[tuple[str, Any], ...] = (
    ("from_addr", sa.String(length=320)),
    ("sent_at", followupd.model.types.UTCDateTime()),
    ("utc_offset", sa.Integer()),
)


def upgrade() -> None:
    with op.batch_alter_table("contact", schema=None) as batch_op:
        for name, type_ in _CONTACT:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
    with op.batch_alter_table("message", schema=None) as batch_op:
        for name, type_ in _MESSAGE:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
    op.create_index("ix_message_from_addr", "message", ["from_addr"])


def downgrade() -> None:
    op.drop_index("ix_message_from_addr", table_name="message")
    with op.batch_alter_table("message", schema=None) as batch_op:
        for name, _ in reversed(_MESSAGE):
            batch_op.drop_column(name)
    with op.batch_alter_table("contact", schema=None) as batch_op:
        for name, _ in reversed(_CONTACT):
            batch_op.drop_column(name)
