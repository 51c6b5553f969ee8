from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from app.sheets.blocklist import blocklist, shipped_terms
from app.sheets.i18n import catalog_path, compiled_catalog, sheet_languages

# One phrase per shipped language that a sheet must never carry.
OFFENDING = {
    "en": "Anti-Trafficking Unit",
    "fr": "Aide aux victimes de la traite des êtres humains",
    "es": "Centro para víctimas de trata de personas",
    "pt": "Núcleo de enfrentamento ao tráfico de pessoas",
    "ro": "Agenția Națională împotriva Traficului de Persoane",
    "sq": "Zyra kundër trafikimit",
    "ru": "Центр помощи жертвам торговли людьми",
    "uk": "Протидія торгівлі людьми",
    "ar": "وحدة مكافحة الاتجار بالبشر",
    "vi": "Hỗ trợ nạn nhân bị mua bán người",
    "th": "ศูนย์ช่วยเหลือเหยื่อการค้ามนุษย์",
}


def test_every_shipped_language_has_a_blocklist() -> None:
    assert set(sheet_languages()) <= set(shipped_terms())
    assert all(shipped_terms()[lang] for lang in sheet_languages())


@pytest.mark.parametrize("lang", sorted(OFFENDING))
def test_offending_phrase_is_caught_in_each_language(lang: str) -> None:
    assert blocklist().find(OFFENDING[lang]), lang


@pytest.mark.parametrize(
    "text",
    [
        "VÍCTIMAS",
        "Victimes",
        "victim's",
        "SHFRYTËZIMI",
        "shfrytezimi",
        "Traficul",
        "ЖЕРТВА",
        "والاتجار",
        "exploitation",
        "nan nhan",
        "Human-trafficking",
    ],
)
def test_matching_ignores_case_and_accents(text: str) -> None:
    assert blocklist().find(text)


@pytest.mark.parametrize(
    "text",
    [
        "Trattoria",
        "victory",
        "exploring",
        "Tratamiento",
        "Lagos, Nigeria",
        "Polícia",
        "ข้อมูลติดต่อที่เป็นประโยชน์",
        "Traite de documents",
        "Interjection",
    ],
)
def test_matching_respects_word_boundaries(text: str) -> None:
    assert blocklist().find(text) == []


def test_extra_terms_come_from_settings() -> None:
    assert blocklist().find("Safe Haven") == []
    assert blocklist(["safe haven"]).find("SAFE HAVEN house") == ["safe haven"]


@pytest.mark.parametrize("lang", sorted(sheet_languages()))
def test_no_catalog_message_contains_a_blocked_word(lang: str) -> None:
    with catalog_path(lang).open("rb") as handle:
        catalog = read_po(handle)
    for message in catalog:
        if message.id:
            translated = compiled_catalog(lang).gettext(message.id)
            assert blocklist().find(translated) == [], (lang, message.id)
