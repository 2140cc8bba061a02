"""Application commands are registered with Discord only when the set changed, or on
``--sync``: a hash of what was last registered is kept in the bot's database, so every
instance and every restart (even on a fresh filesystem) agrees on it."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime

from discord import app_commands
from sqlalchemy import Column, Connection, MetaData, String, Table, delete, select

from bot.storage.db import Database

log = logging.getLogger("supportbot.discord")
_METADATA = MetaData()
SYNC_STATE = Table(
    "discord_command_sync",
    _METADATA,
    Column("application_id", String(32), primary_key=True),
    Column("commands_hash", String(64), nullable=False),
    Column("synced_at", String(40), nullable=False),
)


def commands_hash(tree: app_commands.CommandTree) -> str:
    """A digest of the global commands exactly as they would be sent to Discord."""
    payload = [command.to_dict(tree) for command in tree.get_commands()]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


class SyncState:
    """The hash of the command set last registered, per application, in the bot's own
    database (a small table of the adapter's, created on first use)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def stored(self, application_id: int) -> str | None:
        def work(conn: Connection) -> str | None:
            _METADATA.create_all(conn)
            query = select(SYNC_STATE.c.commands_hash).where(
                SYNC_STATE.c.application_id == str(application_id)
            )
            return conn.execute(query).scalar_one_or_none()

        return await self._db.write(work)

    async def remember(self, application_id: int, digest: str) -> None:
        def work(conn: Connection) -> None:
            _METADATA.create_all(conn)
            conn.execute(
                delete(SYNC_STATE).where(SYNC_STATE.c.application_id == str(application_id))
            )
            conn.execute(
                SYNC_STATE.insert().values(
                    application_id=str(application_id),
                    commands_hash=digest,
                    synced_at=datetime.now(UTC).isoformat(),
                )
            )

        await self._db.write(work)


async def sync_commands(
    tree: app_commands.CommandTree, state: SyncState, application_id: int, *, force: bool
) -> bool:
    """Register the commands when forced or changed; True when they were sent."""
    digest = commands_hash(tree)
    if not force and await state.stored(application_id) == digest:
        log.info("application commands unchanged; not syncing")
        return False
    synced = await tree.sync()
    await state.remember(application_id, digest)
    log.info(
        "registered %d application command(s): %s", len(synced), ", ".join(c.name for c in synced)
    )
    return True
