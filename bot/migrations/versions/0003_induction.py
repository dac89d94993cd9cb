"""Safeguarding induction: progress through the walkthrough and quiz, and the acknowledgement register.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "induction_progress",
        sa.Column("channel_user", sa.String(200), primary_key=True),
        sa.Column("person_name", sa.String(120), nullable=False),
        sa.Column("policy_code", sa.String(20), nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("quiz_order", sa.JSON, nullable=False),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "acknowledgements",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_name", sa.String(120), nullable=False),
        sa.Column("channel_user", sa.String(200), nullable=False, index=True),
        sa.Column("policy_code", sa.String(20), nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("finished_at", TZ, nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("confirmed_at", TZ, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("acknowledgements")
    op.drop_table("induction_progress")
