"""The workers `luneo worker run` knows, by name (`--only` selects among them)."""

from __future__ import annotations

from luneo.core.errors import UsageError
from luneo.workers.base import Worker
from luneo.workers.emails.worker import EmailsWorker
from luneo.workers.maintenance import Maintenance
from luneo.workers.stripe.worker import StripeWorker
from luneo.workers.webhooks.worker import WebhooksWorker

WORKERS: dict[str, type[Worker]] = {
    Maintenance.name: Maintenance,
    WebhooksWorker.name: WebhooksWorker,
    EmailsWorker.name: EmailsWorker,
    StripeWorker.name: StripeWorker,
}
"""Name -> worker class, in the order they start. A new worker adds one line."""


class UnknownWorker(UsageError):
    """`--only` named a worker that does not exist."""


def select(only: str | None = None) -> list[Worker]:
    """One instance of each worker named in `only` (comma-separated), else of every worker."""
    if only is None:
        return [cls() for cls in WORKERS.values()]
    names = [name.strip() for name in only.split(",") if name.strip()]
    known = ", ".join(WORKERS)
    if not names:
        raise UnknownWorker(f"--only names no worker; known workers: {known}")
    unknown = [name for name in names if name not in WORKERS]
    if unknown:
        raise UnknownWorker(f"unknown worker(s): {', '.join(unknown)}; known workers: {known}")
    return [WORKERS[name]() for name in dict.fromkeys(names)]
