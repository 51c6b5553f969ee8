# The function below is WeasyPrint's code (BSD 3-Clause, (c) 2011-2021 Simon Sapin and
# contributors) as written in weasyprint/layout/inline.py, with its changes marked `# homeward`.
# ruff: noqa: RUF059
# mypy: disable-error-code="var-annotated"
"""WeasyPrint 70's `get_next_linebox` (the layout of one line), without laying a
right-to-left line out a second time in the same place.

The function ends its loop when the line, laid out, stays where it was placed. In
right-to-left text it tests that by the line's end, comparing the line's width with the
width the line was placed with: its min-content width beside a float, 0 elsewhere. These
almost never match, so every line taller than its strut (a number in a larger size, a
name in bold, and, with no float about, every line) is laid out again, in the same place,
with the same result: a third of an Arabic sheet's layout. This copy ends the loop there
when nothing a second round reads has changed: the same position and room, no float in
the line, no ::first-line style. Left-to-right text is laid out exactly as before.

`install` puts it in place of WeasyPrint's only if WeasyPrint's function is still the one
this was copied from (WeasyPrint 70.0); otherwise WeasyPrint's runs, as correct and
slower, and tests/sheets/test_weasyprint_lines.py fails until the copy is made again. That
test prints right-to-left and left-to-right pages with both and compares them.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import weasyprint.layout.inline as _inline
from weasyprint.layout.float import avoid_collisions, float_layout
from weasyprint.layout.inline import (
    _adjust_line_height,
    first_letter_to_box,
    inline_min_content_width,
    is_phantom_linebox,
    line_box_verticality,
    remove_last_whitespace,
    skip_first_whitespace,
    split_inline_box,
    text_align,
)
from weasyprint.text.line_break import strut

logger = logging.getLogger(__name__)

# sha256 of WeasyPrint 70.0's `inspect.getsource(get_next_linebox)`.
COPIED_FROM = "67af458c2545e74f0803072103c6c5d392d5e353dfdaa4f5bac5a96e20ed024d"
WEASYPRINTS = _inline.get_next_linebox


def _source_digest(function: Any) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()


# fmt: off
def get_next_linebox(context, linebox, position_y, bottom_space, skip_stack,  # type: ignore[no-untyped-def]
                     containing_block, absolute_boxes, fixed_boxes,
                     first_letter_style, first_line_style):
    skip_stack = skip_first_whitespace(linebox, skip_stack)
    if skip_stack == 'continue':
        return None, None

    skip_stack = first_letter_to_box(linebox, skip_stack, first_letter_style)

    linebox.position_y = position_y

    if context.excluded_shapes:
        # Width and height must be calculated to avoid floats
        linebox.width = inline_min_content_width(
            context, linebox, skip_stack=skip_stack, first_line=True)
        linebox.height, _ = strut(linebox.style)
    else:
        # No float, width and height will be set by the lines
        linebox.width = linebox.height = 0
    position_x, position_y, available_width = avoid_collisions(
        context, linebox, containing_block, outer=False)

    candidate_height = linebox.height

    excluded_shapes = context.excluded_shapes.copy()

    while True:
        original_position_x = linebox.position_x = position_x
        original_position_y = linebox.position_y = position_y
        original_width = linebox.width
        original_available_width = available_width  # homeward
        max_x = position_x + available_width
        position_x += linebox.text_indent

        line_placeholders = []
        line_absolutes = []
        line_fixed = []
        waiting_floats = []
        line_children = []

        (line, resume_at, preserved_line_break, first_letter,
         last_letter, float_width) = split_inline_box(
             context, linebox, position_x, max_x, bottom_space, skip_stack,
             containing_block, line_absolutes, line_fixed, line_placeholders,
             waiting_floats, line_children, first_letter_style, first_line_style)
        linebox.width, linebox.height = line.width, line.height

        if is_phantom_linebox(line) and not preserved_line_break:
            line.height = 0
            break

        remove_last_whitespace(context, line)

        new_position_x, _, new_available_width = avoid_collisions(
            context, linebox, containing_block, outer=False)
        offset_x = text_align(
            context, line, new_available_width,
            last=(resume_at is None or preserved_line_break))
        if containing_block.style['direction'] == 'rtl':
            offset_x *= -1
            offset_x -= line.width

        bottom, top = line_box_verticality(line)
        assert top is not None
        assert bottom is not None
        line.baseline = -top
        line.position_y = top
        line.height = bottom - top
        offset_y = position_y - top
        line.margin_top = 0
        line.margin_bottom = 0

        line.translate(offset_x, offset_y)
        # Avoid floating point errors, as position_y - top + top != position_y
        # Removing this line breaks the position == linebox.position test below
        # See issue #583.
        line.position_y = position_y

        if line.height <= candidate_height:
            break
        candidate_height = line.height

        new_excluded_shapes = context.excluded_shapes
        context.excluded_shapes = excluded_shapes
        position_x, position_y, available_width = avoid_collisions(
            context, line, containing_block, outer=False)

        if first_line_style:
            first_line_box = line.copy_with_children(line.children)
            first_line_box.element_tag += '::first-line'
            first_line_box.style = first_line_box.style.copy()
            for key, value in first_line_style.items():
                first_line_box.style[key] = value
            line.children = [first_line_box]
            _adjust_line_height(first_line_box)

        if containing_block.style['direction'] == 'ltr':
            condition = (position_x, position_y) == (
                original_position_x, original_position_y)
        elif ((position_x, position_y, available_width) == (  # homeward
                original_position_x, original_position_y, original_available_width)
                and not first_line_style
                and len(new_excluded_shapes) == len(excluded_shapes)):
            # Another round would lay the same line out in the same place (no float of
            # its own, no ::first-line style) and end there, at the same height.
            condition = True
        else:
            condition = (position_x + line.width, position_y) == (
                original_position_x + original_width, original_position_y)
        if condition:
            context.excluded_shapes = new_excluded_shapes
            break

    absolute_boxes.extend(line_absolutes)
    fixed_boxes.extend(line_fixed)

    for placeholder in line_placeholders:
        if 'inline' in placeholder.style.specified['display']:
            # Inline-level static position:
            placeholder.translate(0, position_y - placeholder.position_y)
        else:
            # Block-level static position: at the start of the next line
            placeholder.translate(
                line.position_x - placeholder.position_x,
                position_y + line.height - placeholder.position_y)

    float_children = []
    waiting_floats_y = line.position_y + line.height
    for waiting_float in waiting_floats:
        waiting_float.position_y = waiting_floats_y
        new_waiting_float, waiting_float_resume_at = float_layout(
            context, waiting_float, containing_block, absolute_boxes,
            fixed_boxes, bottom_space, skip_stack=None)
        float_children.append(new_waiting_float)
        if waiting_float_resume_at:
            context.add_broken_out_of_flow(
                new_waiting_float, waiting_float, containing_block,
                waiting_float_resume_at)
    if float_children:
        line.children += tuple(float_children)

    return line, resume_at


# fmt: on


def install() -> bool:
    """Lay lines out with this copy (WeasyPrint's `iter_line_boxes` looks the function up
    in its module on every line), if WeasyPrint's is the one it was copied from."""
    if _inline.get_next_linebox is get_next_linebox:
        return True
    if _source_digest(WEASYPRINTS) != COPIED_FROM:
        logger.warning(
            "WeasyPrint's get_next_linebox is not the one app/sheets/weasyprint_lines.py "
            "copies: right-to-left lines are laid out with WeasyPrint's own (slower)"
        )
        return False
    _inline.get_next_linebox = get_next_linebox
    return True


def uninstall() -> None:
    """Lay lines out with WeasyPrint's own function again."""
    _inline.get_next_linebox = WEASYPRINTS


@contextmanager
def weasyprints_own() -> Iterator[None]:
    """Lines laid out by WeasyPrint's own function inside the block (a benchmark's floor, a
    test's comparison), and after it by whichever was in place before."""
    installed = _inline.get_next_linebox is get_next_linebox
    uninstall()
    try:
        yield
    finally:
        if installed:
            install()
