"""A sheet's HTML (render.render_html(..., for_pdf=True)) -> PDF, with WeasyPrint.

What makes a first sheet cost little more than WeasyPrint's floor (bench/sheets.py):

* the HTML is ours and well-formed, so expat (C, in the standard library) parses it, not
  WeasyPrint's HTML5 parser (pure Python), which took a sheet's parse ~3x the floor page's;
  anything expat refuses is parsed the usual way;
* no whitespace between blocks: WeasyPrint makes a box of every run of it;
* a user-agent stylesheet of the rules that match a sheet's elements (sheet-ua.css);
* QR codes are placed into the finished pages (`_draw_codes`) as one-bit images made
  straight from the symbol, not laid out as PNGs that WeasyPrint decodes and compresses
  again: the entry (A4) or an empty float (pocket) that holds a code's place carries its
  payload in `data-qr`;
* sheet.css parsed once per size, one font configuration per thread, and the garbage
  collector paused while WeasyPrint builds the document;
* right-to-left lines laid out once (weasyprint_lines.py): WeasyPrint 70 lays most of them
  out a second time in the same place.
"""

from __future__ import annotations

import gc
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from xml.etree import ElementTree

import cssselect2
import pydyf
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from app.sheets import weasyprint_lines
from app.sheets.qr import payload_of, qr_bits
from app.sheets.render import ENV, FONT_FAMILY, FONT_SIZES, PAGE_SETUP, TEMPLATES_DIR
from app.sheets.schemas import SheetSize

# Right-to-left lines laid out once, not twice (a third of an Arabic sheet's layout).
weasyprint_lines.install()

# CSS pixels a millimetre, and PDF points a CSS pixel (WeasyPrint draws a page in points).
PX_PER_MM = 96 / 25.4
PT_PER_PX = 0.75

# The longest sheet (in characters of HTML) rendered with the garbage collector paused. The
# render's garbage then stays until it ends: ~0.5 MB per KB of HTML (a 40-entry sheet is
# ~40 KB, so ~20 MB), which this bounds to ~75 MB; a longer sheet renders with it running.
COLLECTOR_PAUSE_MAX_HTML = 150_000

# Whitespace between blocks (before a block's start tag, or a container's end tag): no
# reader sees it, but WeasyPrint would make a box of each run. Whitespace that ends a
# paragraph stays: WeasyPrint breaks a bordered badge at the end of a line differently
# without it (Thai cards, tests/sheets/test_pdf_render.py).
_BETWEEN_BLOCKS = re.compile(
    r">\s+<(?=(?:html|head|body|meta|title|style|header|main|section|article|h[1-6]|p)\b"
    r"|/(?:html|head|body|header|main|section|article)>)"
)


@contextmanager
def _collector_paused(pause: bool) -> Iterator[None]:
    """Hold off Python's cyclic garbage collector while WeasyPrint builds a document.

    A render allocates a few hundred thousand objects that live until it ends, which
    triggers a full collection over the whole process heap (a server's or the CLI's,
    ~200,000 objects) in almost every render: a fifth of a sheet's CPU time. The render's
    garbage is collected as usual once the collector runs again. A render that finds it
    already paused (another thread's render) leaves it alone; the render that paused it
    resumes it, so it is never left off.
    """
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# WeasyPrint ships no type information, so its URLFetcher is Any to mypy.
class _FetchNothing(URLFetcher):  # type: ignore[misc]
    """A sheet's PDF is self-contained (its codes are drawn, not fetched): any URL in it is
    refused, and WeasyPrint leaves that resource out and logs it."""

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        raise ValueError(f"a sheet's PDF fetches nothing, not {url[:60]!r}")


# Per thread: building a font configuration costs time, and sharing one across threads is
# not documented as safe.
_local = threading.local()


def _thread_state() -> Any:
    if getattr(_local, "font_config", None) is None:
        _local.font_config = FontConfiguration()
        _local.stylesheets = {}
        _local.fetcher = _FetchNothing()
    return _local


def sheet_stylesheet(size: SheetSize) -> CSS:
    """sheet.css for one size, parsed once per thread: it changes only with the size, and
    parsing and validating it again cost every PDF ~15 ms (the page margins' text, which
    changes with every sheet, stays in the document: sheet-margins.css)."""
    state = _thread_state()
    if size not in state.stylesheets:
        text = ENV.get_template("sheet.css").render(
            fonts=FONT_SIZES[size], page=PAGE_SETUP[size], font_family=FONT_FAMILY
        )
        state.stylesheets[size] = CSS(
            string=text, base_url=str(TEMPLATES_DIR), font_config=state.font_config
        )
    stylesheet: CSS = state.stylesheets[size]
    return stylesheet


def _user_agent_stylesheet() -> CSS:
    """sheet-ua.css, parsed once per thread."""
    state = _thread_state()
    if getattr(state, "user_agent", None) is None:
        state.user_agent = CSS(
            filename=str(TEMPLATES_DIR / "sheet-ua.css"), font_config=state.font_config
        )
    return state.user_agent


class _ParsedSheet(HTML):  # type: ignore[misc]
    """A document WeasyPrint lays out from an element tree already parsed, with the user
    agent stylesheet of a sheet (sheet-ua.css).

    Sets what weasyprint.HTML.__init__ (WeasyPrint 70) sets after parsing: a base URL, a
    fetcher, the media type and cssselect2's wrapper of the root. pyproject.toml pins the
    major version; tests/sheets/test_pdf_render.py checks that a sheet prints the same
    pages as through WeasyPrint's own parser and stylesheet."""

    def __init__(self, root: ElementTree.Element, *, base_url: str, url_fetcher: URLFetcher):
        self.base_url = base_url
        self.url_fetcher = url_fetcher
        self.media_type = "print"
        self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
        self.etree_element = self.wrapper_element.etree_element

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        return [_user_agent_stylesheet()]


def sheet_document(html: str) -> HTML:
    """The sheet's HTML, ready for WeasyPrint: parsed by expat where it is well-formed XML
    (ours always is), else by WeasyPrint's own HTML parser."""
    state = _thread_state()
    html = _BETWEEN_BLOCKS.sub("><", html)
    base_url = str(TEMPLATES_DIR)
    try:
        root = ElementTree.fromstring(html)
    except ElementTree.ParseError:
        return HTML(string=html, base_url=base_url, url_fetcher=state.fetcher)
    return _ParsedSheet(root, base_url=base_url, url_fetcher=state.fetcher)


def _code_square(box: Any, size: SheetSize) -> tuple[float, float, float]:
    """Where a code goes (x, y and side, in CSS pixels): in the content box of the empty
    float that holds its place on a card; on A4 in the entry's top corner at the end of
    its line (right, or left in right-to-left text), where its padding leaves room."""
    if box.element_tag != "article":
        return box.content_box_x(), box.content_box_y(), box.width
    side = float(PAGE_SETUP[size]["qr"].removesuffix("mm")) * PX_PER_MM
    x = box.padding_box_x()
    if box.style["direction"] != "rtl":
        x += box.padding_width() - side
    return x, box.content_box_y(), side


def _code_boxes(page_box: Any) -> Iterator[Any]:
    """The boxes of a laid-out page that carry a code (`data-qr`)."""
    for box in page_box.descendants():
        element = getattr(box, "element", None)
        if element is not None and "data-qr" in element.attrib:
            yield box


def _code_image(pdf: Any, payload: str) -> Any:
    """The code of `payload` as a PDF image object (one bit a module, drawn without
    smoothing, as the PNG of an HTML sheet is with `image-rendering: pixelated`)."""
    width, bits = qr_bits(payload)
    image = pydyf.Stream(
        [bits],
        pydyf.Dictionary(
            {
                "Type": "/XObject",
                "Subtype": "/Image",
                "Width": width,
                "Height": width,
                "ColorSpace": "/DeviceGray",
                "BitsPerComponent": 1,
                "Interpolate": "false",
            }
        ),
    )
    pdf.add_object(image)
    return image


def _draw_codes(size: SheetSize) -> Any:
    """A WeasyPrint finisher that places every QR code of the sheet on its page, after the
    page's own content (whose graphics state is back to WeasyPrint's page transform by then:
    points, y downwards). A code whose box is split across pages is placed once, on the
    first; a code printed twice is embedded once."""

    def finish(document: Any, pdf: Any) -> None:
        images: dict[str, str] = {}
        drawn: set[int] = set()
        kids = pdf.pages["Kids"]
        for index, page in enumerate(document.pages):
            ops: list[str] = []
            page_dict = pdf.objects[kids[3 * index]]
            for box in _code_boxes(page._page_box):
                if id(box.element) in drawn:
                    continue
                drawn.add(id(box.element))
                payload = payload_of(box.element.attrib["data-qr"])
                if payload not in images:
                    resources = pdf.objects[int(page_dict["Resources"].split()[0])]
                    images[payload] = name = f"hwqr{len(images)}"
                    resources["XObject"][name] = _code_image(pdf, payload).reference
                x, y, side = _code_square(box, size)
                # The image's unit square, its first row at the top.
                place = f"{side:.3f} 0 0 {-side:.3f} {x:.3f} {y + side:.3f}"
                ops.append(f"q {place} cm /{images[payload]} Do Q")
            if ops:
                stream = pdf.objects[int(page_dict["Contents"].split()[0])]
                stream.stream.append(f"q {PT_PER_PX} 0 0 {PT_PER_PX} 0 0 cm")
                stream.stream.extend(ops)
                stream.stream.append("Q")

    return finish


def html_to_pdf(html: str, size: SheetSize) -> bytes:
    """A sheet rendered `for_pdf` (which carries only its margins' style) as PDF, with
    sheet.css for its size and its QR codes drawn; fonts (Noto, via fontconfig) are subset
    and embedded."""
    state = _thread_state()
    with _collector_paused(len(html) <= COLLECTOR_PAUSE_MAX_HTML):
        pdf = sheet_document(html).write_pdf(
            stylesheets=[sheet_stylesheet(size)],
            font_config=state.font_config,
            finisher=_draw_codes(size),
        )
    assert pdf is not None
    return bytes(pdf)
