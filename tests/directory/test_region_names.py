"""Region names in a language: Unicode CLDR's (Debian's unicode-cldr-core) first, then
pycountry's ISO 3166-2 catalog for the language, then the official ISO name."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import get_settings
from app.directory import cldr_regions
from app.directory.geography import region_name


def test_cldr_names_the_region_in_languages_pycountry_lacks() -> None:
    assert region_name("NG-LA", "ar") == "ولاية لاغوس"
    assert region_name("NG-LA", "fr") == "État de Lagos"
    assert region_name("NG-FC", "vi") == "Lãnh thổ Thủ đô liên bang"


def test_a_name_cldr_has_wrong_is_left_out() -> None:
    # CLDR 41's Thai file names NG-FC "หมู่เกาะแชทัม" (Chatham Islands).
    assert cldr_regions.cldr_region_name("NG-FC", "th") is None
    assert region_name("NG-FC", "th") != "หมู่เกาะแชทัม"


def test_english_keeps_the_iso_name_and_unknown_codes_stay_codes() -> None:
    assert region_name("NG-LA", "en") == "Lagos"
    assert region_name("NG-XX", "fr") == "NG-XX"
    assert region_name(None, "fr") is None


def test_without_a_cldr_name_pycountry_then_the_iso_name_is_used() -> None:
    # CLDR has no Arabic name for Argyll and Bute, nor has pycountry: the ISO name.
    assert cldr_regions.cldr_region_name("GB-AGB", "ar") is None
    assert region_name("GB-AGB", "ar") == "Argyll and Bute"


def test_a_missing_cldr_folder_falls_back_without_failing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = get_settings().model_copy(update={"cldr_subdivisions_dir": tmp_path})
    monkeypatch.setattr(cldr_regions, "get_settings", lambda: settings)
    cldr_regions._names.cache_clear()
    region_name.cache_clear()
    try:
        assert cldr_regions.cldr_region_name("NG-LA", "ar") is None
        assert region_name("NG-LA", "ar") == "Lagos"
        assert region_name("UA-30", "uk") == "Київ"  # pycountry's Ukrainian catalog
    finally:
        cldr_regions._names.cache_clear()
        region_name.cache_clear()
