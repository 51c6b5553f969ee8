"""The officer search form read from the query string: each field checked on its own."""

from __future__ import annotations

from app.web.officer_search import (
    SearchForm,
    SearchQuery,
    countries_with_counts,
    read_search_form,
)


def _read(lang: str = "en", **given: object) -> SearchForm:
    return read_search_form(SearchQuery.model_validate(given), lang=lang)


def test_country_and_region_are_read_together() -> None:
    form = _read(country="nigeria", region="ng-la", category=["ngo"], arrival="1")
    assert (form.country, form.region, form.errors) == ("NG", "NG-LA", {})
    filters = form.filters(include_national=True, nationwide_only=False, every_region=False)
    assert filters.meets_on_arrival is True and filters.categories == ["ngo"]
    assert not filters.nationwide_only


def test_a_region_alone_names_its_country() -> None:
    form = _read(region="NG-KN")
    assert (form.country, form.region) == ("NG", "NG-KN")


def test_a_region_left_from_the_previous_country_is_dropped() -> None:
    form = _read(country="Albania", region="NG-LA", region_of="NG")
    assert (form.country, form.region, form.errors) == ("AL", None, {})


def test_every_bad_field_is_named_at_once() -> None:
    form = _read(
        country="NG",
        region="NG-XX",
        category=["ngo", "pirates"],
        freshness=["fresh"],
        language=["zz"],
    )
    assert sorted(form.errors) == ["category", "freshness", "language", "region"]
    assert "'NG-XX'" in form.errors["region"]


def test_a_country_alone_lists_its_nationwide_offices_unless_filtered() -> None:
    plain = _read(country="NG").filters(
        include_national=True, nationwide_only=False, every_region=False
    )
    filtered = _read(country="NG", language=["yo"]).filters(
        include_national=True, nationwide_only=False, every_region=False
    )
    assert plain.nationwide_only and not filtered.nationwide_only
    assert filtered.languages == ["yo"]


def test_countries_with_contacts_come_first() -> None:
    choices = [("AQ", "Antarctica"), ("AL", "Albania"), ("NG", "Nigeria")]
    assert countries_with_counts({"NG": 125, "AL": 0}, choices) == [
        ("NG", "Nigeria", 125),
        ("AQ", "Antarctica", 0),
        ("AL", "Albania", 0),
    ]
