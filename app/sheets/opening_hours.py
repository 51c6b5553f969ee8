"""Structured opening hours (`Office.schedules`, HSDS 3 schedule fields) as lines in a
reader's language: day names, times and dates from Babel's CLDR data, the few words around
them from the sheet catalogs (locale/*/sheets.po).

Only the structured fields are shown (days, hours, validity): a schedule's free text is the
source's, in the source's language, and is not printed from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, time
from functools import cache
from typing import Any, Protocol

from babel.dates import format_date, format_time, get_day_names
from babel.lists import format_list

from app.directory.schemas import WEEKDAYS


class Speaker(Protocol):
    """A language to write in (sheets.i18n.SheetLanguage)."""

    @property
    def code(self) -> str: ...

    def gettext(self, message: str, **values: object) -> str: ...


@cache
def _day_names(code: str) -> tuple[str, ...]:
    names = get_day_names("wide", locale=code)  # 0 is Monday, as in WEEKDAYS
    return tuple(str(names[i]) for i in range(7))


def _days(byday: str, code: str) -> str | None:
    names = []
    for day in byday.split(","):
        day = day.strip().upper()
        if day[-2:] not in WEEKDAYS:
            continue
        name = _day_names(code)[WEEKDAYS.index(day[-2:])]
        # "1MO" is the first Monday (of the month): the number is kept as it is given.
        names.append(f"{name} ({day[:-2]})" if day[:-2] else name)
    return format_list(names, locale=code) if names else None


def _parsed(kind: type[date] | type[time], value: Any) -> Any:
    try:
        return kind.fromisoformat(str(value))
    except ValueError:
        return None


def schedule_line(schedule: Mapping[str, Any], lang: Speaker) -> str | None:
    """One schedule as a line ("jeudi et vendredi, 10:00–18:00, à partir du …"), or None when
    it gives no days, hours or dates."""
    code = lang.code
    parts = []
    if schedule.get("byday") and (days := _days(str(schedule["byday"]), code)):
        parts.append(days)
    if schedule.get("bymonthday"):
        parts.append(lang.gettext("days %(days)s of the month", days=str(schedule["bymonthday"])))
    opens = _parsed(time, schedule.get("opens_at"))
    closes = _parsed(time, schedule.get("closes_at"))
    if opens is not None and closes is not None:
        parts.append(
            lang.gettext(
                "%(opens)s–%(closes)s",
                opens=format_time(opens, format="short", locale=code),
                closes=format_time(closes, format="short", locale=code),
            )
        )
    valid_from = _parsed(date, schedule.get("valid_from"))
    if valid_from is not None:
        text = format_date(valid_from, format="medium", locale=code)
        parts.append(lang.gettext("from %(date)s", date=text))
    valid_to = _parsed(date, schedule.get("valid_to"))
    if valid_to is not None:
        text = format_date(valid_to, format="medium", locale=code)
        parts.append(lang.gettext("until %(date)s", date=text))
    # CLDR's "unit" lists are missing for some sheet languages: a comma of the script.
    return ("، " if code == "ar" else ", ").join(parts) if parts else None


def schedule_lines(schedules: Iterable[Mapping[str, Any]] | None, lang: Speaker) -> list[str]:
    """Every schedule that says something, as lines in `lang`."""
    return [line for s in schedules or () if (line := schedule_line(s, lang))]
