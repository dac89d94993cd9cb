"""Feedback on answers ("Helpful? yes / no"), from any channel.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("channel_user", sa.String(200), nullable=False),
        sa.Column("helpful", sa.Boolean, nullable=False),
        sa.Column("clauses", sa.JSON, nullable=False),
        sa.Column("source_event", sa.String(120), nullable=True, unique=True),
    )


def downgrade() -> None:
    op.drop_table("feedback")
