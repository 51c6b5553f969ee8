"""Named verification errors; each carries its HTTP status."""

from __future__ import annotations

from datetime import datetime

from app.kit.errors import Conflict, Forbidden, NotFound
from app.kit.i18n import N_, Moment

# A task's state, as a word a page translates (its English is the stored value).
_STATE_WORDS = {
    "open": N_("open"),
    "claimed": N_("claimed"),
    "escalated": N_("escalated"),
    "done": N_("done"),
    "cancelled": N_("cancelled"),
}


class TaskNotFound(NotFound):
    def __init__(self, task_id: int) -> None:
        super().__init__(
            N_("no verification task with id %(id)s"), field="id", params={"id": task_id}
        )


class TaskNotActive(Conflict):
    def __init__(self, task_id: int, state: str) -> None:
        super().__init__(
            N_("task %(id)s is already %(state)s"),
            field="state",
            params={"id": task_id, "state": _STATE_WORDS.get(state, state)},
            state=state,
        )


class TaskClaimedByOther(Conflict):
    def __init__(self, task_id: int, claimed_by: str, until: datetime) -> None:
        super().__init__(
            N_("task %(id)s is claimed by %(claimed_by)s until %(until)s"),
            field="claimed_by",
            params={"id": task_id, "claimed_by": claimed_by, "until": Moment(until)},
            claimed_by=claimed_by,
            claim_expires_at=until.isoformat(),
        )


class OutsidePartnerScope(Forbidden):
    """An NGO partner acting on a country outside its scope (`partners.check_scope`)."""

    code = "outside_partner_scope"

    def __init__(self, country: str) -> None:
        super().__init__(
            N_(
                "%(country)s is outside your organisation's countries: it may not confirm, "
                "correct, report or propose contacts there (a reviewer can allow it)"
            ),
            field="country",
            params={"country": country},
            country=country,
        )
