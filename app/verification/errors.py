"""Named verification errors; each carries its HTTP status."""

from __future__ import annotations

from datetime import datetime

from app.kit.errors import Conflict, Forbidden, NotFound


class TaskNotFound(NotFound):
    def __init__(self, task_id: int) -> None:
        super().__init__(f"no verification task with id {task_id}", field="id")


class TaskNotActive(Conflict):
    def __init__(self, task_id: int, state: str) -> None:
        super().__init__(f"task {task_id} is already {state}", field="state", state=state)


class TaskClaimedByOther(Conflict):
    def __init__(self, task_id: int, claimed_by: str, until: datetime) -> None:
        super().__init__(
            f"task {task_id} is claimed by {claimed_by} until {until.isoformat()}",
            field="claimed_by",
            claimed_by=claimed_by,
            claim_expires_at=until.isoformat(),
        )


class OutsidePartnerScope(Forbidden):
    """An NGO partner acting on a country outside its scope (`partners.check_scope`)."""

    code = "outside_partner_scope"

    def __init__(self, country: str) -> None:
        super().__init__(
            f"{country} is outside your organisation's countries: it may not confirm, correct, "
            "report or propose contacts there (a reviewer can allow it)",
            field="country",
            country=country,
        )
