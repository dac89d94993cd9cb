"""What every delivery channel of the outbox is: a Notifier, and the error that means "try again later"."""

from __future__ import annotations

from typing import Protocol

from bot.records import OutboxMessage


class DeliveryError(RuntimeError):
    """A notification could not be delivered this time; the outbox tries again later."""


class Notifier(Protocol):
    """Sends one outbox message on one channel ("email", "slack", "teams")."""

    channel: str

    @property
    def configured(self) -> bool:
        """True when the settings for this channel are present."""
        ...

    def send(self, message: OutboxMessage, reference: str) -> None:
        """Deliver the message, or raise DeliveryError."""
        ...
