"""app/sheets/weasyprint_lines.py: WeasyPrint's line layout without a second round for a
right-to-left line that stays in place. It must print every page exactly as WeasyPrint's
own function does, and lay out fewer lines."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import weasyprint.layout.inline as weasyprint_inline
from weasyprint import HTML

from app.sheets import pdf_render, weasyprint_lines
from app.sheets.schemas import SheetSize
from tests.sheets.test_pdf_render import CASES, ENTRIES, case_html
from tests.sheets.test_render import html_of, page_images, sheet

WORDS = {
    "ar": [
        "مركز",
        "الشرطة",
        "في",
        "لاغوس",
        "اتصل",
        "بنا",
        "خط",
        "ساخن",
        "مفتوح",
        "على",
        "مدار",
        "الساعة",
        "منظمةدعمطويلةجداجداجدابلامسافات",
        "Police",
        "0803",
        "123",
        "4567",
    ],
    "en": [
        "a",
        "of",
        "the",
        "police",
        "station",
        "call",
        "Lagos",
        "support",
        "centre",
        "hotline",
        "open",
        "24/7",
        "Supercalifragilisticexpialidocious",
        "contact@example-organisation.ng",
    ],
}


def test_the_copy_lays_the_lines_out_and_is_of_this_weasyprint() -> None:
    """Fails when WeasyPrint's function is no longer the one copied (an upgrade): then
    copy it again, with the change marked `# homeward`."""
    assert weasyprint_inline.get_next_linebox is weasyprint_lines.get_next_linebox
    digest = weasyprint_lines._source_digest(weasyprint_lines.WEASYPRINTS)
    assert digest == weasyprint_lines.COPIED_FROM


def random_page(rnd: random.Random) -> str:
    """Right-to-left or left-to-right paragraphs with what decides where a line goes:
    floats (in the flow, and inside a line), larger and bold words, unbreakable runs,
    bordered inline boxes, long words with and without overflow-wrap, indents and a
    ::first-line style."""
    lang = rnd.choice(["ar", "ar", "en"])

    def words() -> str:
        parts = []
        for _ in range(rnd.randint(3, 30)):
            word, roll = rnd.choice(WORDS[lang]), rnd.random()
            if roll < 0.1:
                word = f'<b style="font-size:{rnd.randint(8, 22)}px">{word}</b>'
            elif roll < 0.15:
                word = f'<span style="white-space:nowrap">{word} {rnd.choice(WORDS[lang])}</span>'
            elif roll < 0.2:
                word = f'<span style="border:1px solid #555;padding:0 3px">{word}</span>'
            elif roll < 0.22:
                side = rnd.choice(["left", "right"])
                word = f'<span style="float:{side};width:30px;height:20px"></span>{word}'
            parts.append(word)
        return " ".join(parts)

    blocks = []
    for _ in range(rnd.randint(2, 6)):
        float_box = (
            f'<span style="float:{rnd.choice(["left", "right"])};width:{rnd.randint(20, 220)}px;'
            f'height:{rnd.randint(10, 90)}px;background:#c00"></span>'
            if rnd.random() < 0.7
            else ""
        )
        paragraphs = "".join(f"<p>{words()}</p>" for _ in range(rnd.randint(1, 3)))
        blocks.append(
            f'<div style="display:flow-root;overflow-wrap:{rnd.choice(["normal", "anywhere"])};'
            f'text-indent:{rnd.choice([0, 0, 12])}px">{float_box}{paragraphs}</div>'
        )
    first_line = "p::first-line { font-weight: bold }" if rnd.random() < 0.2 else ""
    return (
        f'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}"><head><style>'
        f"{first_line}</style></head><body style="
        f'"width:{rnd.randint(160, 420)}px;font-size:{rnd.randint(8, 14)}px">'
        f"{''.join(blocks)}</body></html>"
    )


def both_ways(render: object, tmp_path: Path, name: str) -> tuple[list[bytes], list[bytes]]:
    """Page images of `render()` with the copy, then with WeasyPrint's own function."""
    assert callable(render)
    ours = page_images(render(), tmp_path / f"{name}-ours", dpi=72)
    with weasyprint_lines.weasyprints_own():
        theirs = page_images(render(), tmp_path / f"{name}-theirs", dpi=72)
    return ours, theirs


@pytest.mark.parametrize(("lang", "lang2", "size"), CASES)
def test_a_sheet_prints_the_same_pages(
    tmp_path: Path, lang: str, lang2: str | None, size: str
) -> None:
    sheet_size, html = case_html(lang, lang2, size)
    ours, theirs = both_ways(lambda: pdf_render.html_to_pdf(html, sheet_size), tmp_path, "sheet")
    assert len(ours) == len(theirs) > 0
    assert ours == theirs


@pytest.mark.parametrize("seed", range(12))
def test_random_pages_print_the_same(tmp_path: Path, seed: int) -> None:
    page = random_page(random.Random(seed))
    ours, theirs = both_ways(lambda: HTML(string=page).write_pdf(), tmp_path, "page")
    assert ours == theirs, page


def test_a_right_to_left_sheet_lays_out_its_lines_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """WeasyPrint's own function lays most lines of an Arabic sheet out twice; the copy
    lays each out once, and left-to-right sheets the same number of times."""
    calls = 0
    split = weasyprint_inline.split_text_box  # a line's text, laid out

    def counted(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        return split(*args, **kwargs)

    monkeypatch.setattr(weasyprint_inline, "split_text_box", counted)

    def line_layouts(lang: str, size: SheetSize) -> int:
        nonlocal calls
        calls = 0
        pdf_render.html_to_pdf(
            html_of(sheet(*ENTRIES * 4, lang=lang, size=size), for_pdf=True), size
        )
        return calls

    for size in SheetSize:
        ours = {lang: line_layouts(lang, size) for lang in ("ar", "en")}
        with weasyprint_lines.weasyprints_own():
            theirs = {lang: line_layouts(lang, size) for lang in ("ar", "en")}
        assert ours["en"] == theirs["en"]
        assert ours["ar"] < 0.7 * theirs["ar"], (size, ours, theirs)
