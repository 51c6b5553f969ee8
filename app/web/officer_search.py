"""The officer search form: what the query string asks for, checked field by field.

One page holds the form and the results, so the query string is read leniently: a bad value
becomes an inline error next to its field (the page is shown again with what was typed),
never a bare error page. The values that pass become the search service's `ContactFilters`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from pydantic import BaseModel, Field

from app.directory.enums import CATEGORY_ORDER
from app.directory.freshness import Freshness
from app.directory.geography import normalise_language
from app.directory.search import ContactFilters
from app.directory.validation import checked_country_text, checked_region
from app.kit.errors import InvalidValue
from app.web.forms import reason
from app.web.i18n import _

_CATEGORIES = tuple(c.value for c in CATEGORY_ORDER)
_FRESHNESS = tuple(f.value for f in Freshness)


@dataclass
class SearchForm:
    """The search as asked (`typed` keeps the country text) and the errors per field."""

    typed: str = ""
    country: str | None = None
    region: str | None = None
    categories: list[str] = field(default_factory=list)
    freshness: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    meets_on_arrival: bool = False
    q: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def filtered(self) -> bool:
        """Whether anything but the place narrows the search."""
        return bool(
            self.categories or self.freshness or self.languages or self.meets_on_arrival or self.q
        )

    def filters(
        self, *, include_national: bool, nationwide_only: bool, every_region: bool
    ) -> ContactFilters:
        """The search service's filters: a country without a region lists its nationwide
        offices (as on a national sheet) unless filtered or asked for every office."""
        return ContactFilters(
            country=self.country,
            region=self.region,
            include_national=include_national,
            nationwide_only=self.region is None
            and (nationwide_only or not (every_region or self.filtered)),
            categories=self.categories,
            freshness=self.freshness,
            languages=self.languages,
            meets_on_arrival=True if self.meets_on_arrival else None,
            q=self.q or None,
        )


def _checked_values(
    form: SearchForm, name: str, values: list[str], allowed: tuple[str, ...]
) -> list[str]:
    """`values` without repeats when each is `allowed`; else none, and the field's error."""
    bad = [v for v in values if v not in allowed]
    if bad:
        form.errors[name] = _(
            "'%(value)s' is not one of %(allowed)s", value=bad[0], allowed=", ".join(allowed)
        )
        return []
    return list(dict.fromkeys(values))


Many = Annotated[list[str], Field(max_length=200)]


class SearchQuery(BaseModel):
    """The search form's fields as the query string sends them (unchecked, but bounded)."""

    country: Annotated[str | None, Field(max_length=100)] = None
    region: Annotated[str | None, Field(max_length=100)] = None
    region_of: Annotated[str | None, Field(max_length=2)] = None
    category: Many = []
    freshness: Many = []
    language: Many = []
    arrival: Annotated[str | None, Field(max_length=8)] = None
    q: Annotated[str | None, Field(max_length=200)] = None


def read_search_form(query: SearchQuery, *, lang: str) -> SearchForm:
    """Check each field on its own, so every mistake is named at once."""
    form = SearchForm(typed=(query.country or "").strip(), q=(query.q or "").strip())
    region_text = (query.region or "").strip()
    if form.typed:
        try:
            form.country = checked_country_text(form.typed, lang=lang)
        except InvalidValue as exc:
            form.errors["country"] = reason(exc)
    elif region_text:  # a region alone names its country: NG-LA is in NG
        try:
            form.country = checked_country_text(region_text.split("-", 1)[0], lang=lang)
        except InvalidValue:
            form.errors["region"] = _(
                "'%(value)s' is not an ISO 3166-2 region code", value=region_text
            )
    # The region list was Nigeria's and the person typed another country: without JavaScript
    # the old region is still sent; the new country's list replaces it.
    changed_country = bool(query.region_of) and query.region_of != form.country
    if form.country and region_text and not changed_country:
        try:
            form.region = checked_region(form.country, region_text)
        except InvalidValue as exc:
            form.errors["region"] = reason(exc)
    form.categories = _checked_values(form, "category", query.category, _CATEGORIES)
    form.freshness = _checked_values(form, "freshness", query.freshness, _FRESHNESS)
    for value in query.language:
        if not value:
            continue
        try:
            form.languages.append(normalise_language(value))
        except ValueError as exc:
            form.errors["language"] = reason(exc)
    form.meets_on_arrival = query.arrival in ("1", "on", "true")
    return form


def countries_with_counts(
    counts: dict[str, int], choices: list[tuple[str, str]]
) -> list[tuple[str, str, int]]:
    """(code, name, contacts) from (code, name) `choices`: the countries with contacts first,
    then the rest, each part in the choices' order."""
    listed = [(code, name, counts[code]) for code, name in choices if counts.get(code)]
    listed.extend((code, name, 0) for code, name in choices if not counts.get(code))
    return listed
