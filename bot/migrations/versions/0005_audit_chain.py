"""Audit trail as a hash chain: each entry's hash, the hash before it and, for a change, the report's digest;
the chain's head. Entries already written are chained in id order, and each report's latest entry records its
content as it is now.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from bot.audit_chain import CONTENT, GENESIS, digest_of, entry_hash

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
ENTRIES = sa.table("audit_entries", sa.column("id", sa.Integer), sa.column("incident_id", sa.Integer),
                   sa.column("at", TZ), sa.column("actor", sa.String), sa.column("action", sa.String),
                   sa.column("from_status", sa.String), sa.column("to_status", sa.String), sa.column("note", sa.Text),
                   sa.column("incident_digest", sa.String), sa.column("prev_hash", sa.String),
                   sa.column("hash", sa.String))
TYPES: dict[str, sa.types.TypeEngine] = {"urgent": sa.Boolean(), "immediate_danger": sa.Boolean(), "occurred_at": TZ,
                                          "created_at": TZ, "people_roles": sa.JSON(), "routed_to": sa.JSON()}
INCIDENTS = sa.table("incidents", sa.column("id", sa.Integer),
                     *(sa.column(name, TYPES.get(name, sa.Text())) for name in CONTENT))


def upgrade() -> None:
    for name in ("incident_digest", "prev_hash", "hash"):
        op.add_column("audit_entries", sa.Column(name, sa.String(64), nullable=True))
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("entries", sa.Integer, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
    )
    _chain_what_is_there()


def _chain_what_is_there() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(ENTRIES).order_by(ENTRIES.c.id)).all()
    if not rows:
        return
    digests = {r.id: digest_of([getattr(r, name) for name in CONTENT]) for r in bind.execute(sa.select(INCIDENTS))}
    last = {r.incident_id: r.id for r in rows}
    postgres = bind.dialect.name == "postgresql"
    op.execute("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only" if postgres
               else "DROP TRIGGER audit_entries_no_update")
    previous = GENESIS
    for r in rows:
        digest = digests.get(r.incident_id) if last[r.incident_id] == r.id else None
        value = entry_hash(previous, r.incident_id, r.at, r.actor, r.action, r.from_status, r.to_status, r.note, digest)
        bind.execute(sa.update(ENTRIES).where(ENTRIES.c.id == r.id)
                     .values(incident_digest=digest, prev_hash=previous, hash=value))
        previous = value
    bind.execute(sa.text("INSERT INTO audit_head (id, entries, last_hash) VALUES (1, :n, :h)"),
                 {"n": len(rows), "h": previous})
    op.execute("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only" if postgres else
               "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
               "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END")


def downgrade() -> None:
    op.drop_table("audit_head")
    for name in ("hash", "prev_hash", "incident_digest"):
        op.drop_column("audit_entries", name)
