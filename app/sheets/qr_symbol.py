"""QR code symbols (ISO/IEC 18004) for the sheet's vCards, fast enough for a first sheet.

The same symbols segno makes with `segno.make(payload, error="m", micro=False)` (the tests
compare them module for module): byte mode, the smallest version that holds the payload at
level M, the level raised to Q or H while the version still holds it, and the mask with the
lowest penalty. segno builds and scores each of the eight masks module by module in Python,
~7 ms a code and most of a 40-entry sheet's time; here a symbol is a string of "0"/"1" rows,
a mask is one XOR of two integers, and the penalty rules are integer bit operations over the
whole symbol, ~0.25 ms a code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter

# Per version 1-40: (error codewords per block, blocks, data codewords per block, blocks,
# data codewords per block) of the two block groups (Table 9).
_BLOCKS: dict[str, tuple[tuple[int, int, int, int, int], ...]] = {
    "M": (
        (10, 1, 16, 0, 0), (16, 1, 28, 0, 0), (26, 1, 44, 0, 0), (18, 2, 32, 0, 0),
        (24, 2, 43, 0, 0), (16, 4, 27, 0, 0), (18, 4, 31, 0, 0), (22, 2, 38, 2, 39),
        (22, 3, 36, 2, 37), (26, 4, 43, 1, 44), (30, 1, 50, 4, 51), (22, 6, 36, 2, 37),
        (22, 8, 37, 1, 38), (24, 4, 40, 5, 41), (24, 5, 41, 5, 42), (28, 7, 45, 3, 46),
        (28, 10, 46, 1, 47), (26, 9, 43, 4, 44), (26, 3, 44, 11, 45), (26, 3, 41, 13, 42),
        (26, 17, 42, 0, 0), (28, 17, 46, 0, 0), (28, 4, 47, 14, 48), (28, 6, 45, 14, 46),
        (28, 8, 47, 13, 48), (28, 19, 46, 4, 47), (28, 22, 45, 3, 46), (28, 3, 45, 23, 46),
        (28, 21, 45, 7, 46), (28, 19, 47, 10, 48), (28, 2, 46, 29, 47), (28, 10, 46, 23, 47),
        (28, 14, 46, 21, 47), (28, 14, 46, 23, 47), (28, 12, 47, 26, 48), (28, 6, 47, 34, 48),
        (28, 29, 46, 14, 47), (28, 13, 46, 32, 47), (28, 40, 47, 7, 48), (28, 18, 47, 31, 48),
    ),
    "Q": (
        (13, 1, 13, 0, 0), (22, 1, 22, 0, 0), (18, 2, 17, 0, 0), (26, 2, 24, 0, 0),
        (18, 2, 15, 2, 16), (24, 4, 19, 0, 0), (18, 2, 14, 4, 15), (22, 4, 18, 2, 19),
        (20, 4, 16, 4, 17), (24, 6, 19, 2, 20), (28, 4, 22, 4, 23), (26, 4, 20, 6, 21),
        (24, 8, 20, 4, 21), (20, 11, 16, 5, 17), (30, 5, 24, 7, 25), (24, 15, 19, 2, 20),
        (28, 1, 22, 15, 23), (28, 17, 22, 1, 23), (26, 17, 21, 4, 22), (30, 15, 24, 5, 25),
        (28, 17, 22, 6, 23), (30, 7, 24, 16, 25), (30, 11, 24, 14, 25), (30, 11, 24, 16, 25),
        (30, 7, 24, 22, 25), (28, 28, 22, 6, 23), (30, 8, 23, 26, 24), (30, 4, 24, 31, 25),
        (30, 1, 23, 37, 24), (30, 15, 24, 25, 25), (30, 42, 24, 1, 25), (30, 10, 24, 35, 25),
        (30, 29, 24, 19, 25), (30, 44, 24, 7, 25), (30, 39, 24, 14, 25), (30, 46, 24, 10, 25),
        (30, 49, 24, 10, 25), (30, 48, 24, 14, 25), (30, 43, 24, 22, 25), (30, 34, 24, 34, 25),
    ),
    "H": (
        (17, 1, 9, 0, 0), (28, 1, 16, 0, 0), (22, 2, 13, 0, 0), (16, 4, 9, 0, 0),
        (22, 2, 11, 2, 12), (28, 4, 15, 0, 0), (26, 4, 13, 1, 14), (26, 4, 14, 2, 15),
        (24, 4, 12, 4, 13), (28, 6, 15, 2, 16), (24, 3, 12, 8, 13), (28, 7, 14, 4, 15),
        (22, 12, 11, 4, 12), (24, 11, 12, 5, 13), (24, 11, 12, 7, 13), (30, 3, 15, 13, 16),
        (28, 2, 14, 17, 15), (28, 2, 14, 19, 15), (26, 9, 13, 16, 14), (28, 15, 15, 10, 16),
        (30, 19, 16, 6, 17), (24, 34, 13, 0, 0), (30, 16, 15, 14, 16), (30, 30, 16, 2, 17),
        (30, 22, 15, 13, 16), (30, 33, 16, 4, 17), (30, 12, 15, 28, 16), (30, 11, 15, 31, 16),
        (30, 19, 15, 26, 16), (30, 23, 15, 25, 16), (30, 23, 15, 28, 16), (30, 19, 15, 35, 16),
        (30, 11, 15, 46, 16), (30, 59, 16, 1, 17), (30, 22, 15, 41, 16), (30, 2, 15, 64, 16),
        (30, 24, 15, 46, 16), (30, 42, 15, 32, 16), (30, 10, 15, 67, 16), (30, 20, 15, 61, 16),
    ),
}  # fmt: skip
# Format information's two bits per level (Table 12); Q and H are what "boost" may reach.
_LEVEL_BITS = {"M": 0b00, "Q": 0b11, "H": 0b10}
_BOOST = ("M", "Q", "H")

_MASKS = (
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i + j) % 2 + (i * j) % 3) % 2 == 0,
)


class PayloadTooLong(ValueError):
    """More than a version 40 symbol holds."""


@dataclass(frozen=True)
class Symbol:
    version: int
    level: str
    mask: int
    rows: tuple[str, ...]  # "1" is a dark module

    @property
    def size(self) -> int:
        return len(self.rows)


def payload_bytes(payload: str) -> bytes:
    """The bytes the symbol carries: ISO 8859-1 when it can, else Shift JIS, else UTF-8
    (segno's order; scanners guess the encoding, there is no ECI header)."""
    for encoding in ("iso-8859-1", "shift_jis"):
        try:
            return payload.encode(encoding)
        except UnicodeError:
            continue
    return payload.encode("utf-8")


def _data_codewords(version: int, level: str) -> int:
    _, blocks1, data1, blocks2, data2 = _BLOCKS[level][version - 1]
    return blocks1 * data1 + blocks2 * data2


def _bit_length(version: int, size: int) -> int:
    """Mode indicator, character count and the bytes."""
    return 4 + (8 if version < 10 else 16) + 8 * size


def choose_version_and_level(size: int) -> tuple[int, str]:
    for version in range(1, 41):
        if _bit_length(version, size) <= _data_codewords(version, "M") * 8:
            break
    else:
        raise PayloadTooLong(f"{size} bytes do not fit in a QR code at level M")
    level = "M"
    for better in _BOOST[1:]:
        if _bit_length(version, size) > _data_codewords(version, better) * 8:
            break
        level = better
    return version, level


def _data_stream(data: bytes, version: int, level: str) -> bytes:
    """Mode, count, data, terminator, padding to bytes, then pad codewords (7.4).

    As segno does, a stream that ends on a byte boundary still gets a byte of padding
    zeros (a reader stops at the terminator, so the content is the same)."""
    codewords = _data_codewords(version, level)
    capacity = codewords * 8
    count_bits = 8 if version < 10 else 16
    value = (0b0100 << count_bits) | len(data)
    value = (value << 8 * len(data)) | int.from_bytes(data, "big")
    length = _bit_length(version, len(data))
    terminator = min(4, capacity - length)
    length += terminator
    padding = 8 - length % 8
    value <<= terminator + padding
    length += padding
    stream = value.to_bytes(length // 8, "big")[:codewords]
    pads = (codewords - len(stream)) // 2 + 1
    return stream + (b"\xec\x11" * pads)[: codewords - len(stream)]


def _galois_tables() -> tuple[list[int], list[int]]:
    """Powers of 2 and logarithms in GF(256) with the polynomial 0x11D (7.5.2)."""
    exp, log = [0] * 512, [0] * 256
    value = 1
    for power in range(255):
        exp[power] = value
        log[value] = power
        value <<= 1
        if value & 0x100:
            value ^= 0x11D
    for power in range(255, 512):  # so a sum of two logarithms needs no modulo
        exp[power] = exp[power - 255]
    return exp, log


_EXP, _LOG = _galois_tables()


def _gf_mul(a: int, b: int) -> int:
    return 0 if a == 0 or b == 0 else _EXP[_LOG[a] + _LOG[b]]


@lru_cache(maxsize=64)
def _remainder_table(degree: int) -> tuple[int, ...]:
    """For each leading byte f: f times the generator polynomial (without its leading
    term), as one integer of `degree` bytes, so a division step is a shift and an XOR."""
    generator = [1]
    for power in range(degree):
        root = _EXP[power]
        generator = [
            a ^ _gf_mul(b, root) for a, b in zip([*generator, 0], [0, *generator], strict=True)
        ]
    tail = generator[1:]
    return tuple(int.from_bytes(bytes(_gf_mul(f, g) for g in tail), "big") for f in range(256))


def _error_codewords(block: bytes, degree: int) -> bytes:
    table = _remainder_table(degree)
    shift = 8 * (degree - 1)
    full = (1 << 8 * degree) - 1
    remainder = 0
    for byte in block:
        remainder = ((remainder << 8) & full) ^ table[(remainder >> shift) ^ byte]
    return remainder.to_bytes(degree, "big")


def _interleave(blocks: list[bytes]) -> bytes:
    longest = max(len(block) for block in blocks)
    return bytes(block[k] for k in range(longest) for block in blocks if k < len(block))


def _codewords(data: bytes, version: int, level: str) -> bytes:
    """Data and error correction codewords, interleaved (7.6)."""
    degree, blocks1, data1, blocks2, data2 = _BLOCKS[level][version - 1]
    stream = _data_stream(data, version, level)
    blocks, start = [], 0
    for length in [data1] * blocks1 + [data2] * blocks2:
        blocks.append(stream[start : start + length])
        start += length
    ecc = [_error_codewords(block, degree) for block in blocks]
    return _interleave(blocks) + _interleave(ecc)


def alignment_positions(version: int) -> tuple[int, ...]:
    """Centre rows/columns of the alignment patterns (Annex E)."""
    if version == 1:
        return ()
    count = version // 7 + 2
    size = version * 4 + 17
    step = 26 if version == 32 else (version * 4 + count * 2 + 1) // (count * 2 - 2) * 2
    return (6, *sorted(size - 7 - k * step for k in range(count - 1)))


@dataclass(frozen=True)
class _Layout:
    """Where everything goes in a symbol of one version."""

    size: int
    modules: str  # function patterns, row by row; reserved format and version areas light
    order: tuple[int, ...]  # flat index (row * size + column) of each data bit, in order


@lru_cache(maxsize=40)
def _layout(version: int) -> _Layout:
    size = version * 4 + 17
    grid: list[list[str | None]] = [[None] * size for _ in range(size)]

    def put(row: int, col: int, dark: bool) -> None:
        grid[row][col] = "1" if dark else "0"

    for top, left in ((0, 0), (0, size - 7), (size - 7, 0)):
        for r in range(-1, 8):
            for c in range(-1, 8):
                if 0 <= top + r < size and 0 <= left + c < size:
                    ring = max(abs(r - 3), abs(c - 3))
                    put(top + r, left + c, ring != 2 and ring != 4)
    for k in range(8, size - 8):
        put(6, k, k % 2 == 0)
        put(k, 6, k % 2 == 0)
    centres = alignment_positions(version)
    for row in centres:
        for col in centres:
            if (row, col) in {(6, 6), (6, centres[-1]), (centres[-1], 6)}:
                continue
            for r in range(-2, 3):
                for c in range(-2, 3):
                    put(row + r, col + c, max(abs(r), abs(c)) != 1)
    # Format information (and the dark module beside it) and version information are
    # reserved now and written once the mask is chosen (7.8: masks are scored without them).
    for k in range(9):
        for row, col in ((8, k), (k, 8)):
            if grid[row][col] is None:
                put(row, col, False)
    for k in range(8):
        put(8, size - 1 - k, False)
        put(size - 1 - k, 8, False)
    if version >= 7:
        for a in range(6):
            for b in range(size - 11, size - 8):
                put(a, b, False)
                put(b, a, False)

    order: list[int] = []
    right = size - 1
    while right >= 1:
        if right == 6:
            right = 5
        upward = (right + 1) & 2 == 0
        for vertical in range(size):
            row = size - 1 - vertical if upward else vertical
            for col in (right, right - 1):
                if grid[row][col] is None:
                    order.append(row * size + col)
        right -= 2
    modules = "".join("0" if cell is None else cell for line in grid for cell in line)
    return _Layout(size=size, modules=modules, order=tuple(order))


# A symbol laid out as text for scoring: each row (or column) between four light modules on
# either side, so the 1:1:3:1:1 rule sees the quiet zone beyond the edge as light.
_PAD = 4
_FINDER_LIKE = "1011101"


@dataclass(frozen=True)
class _Scoring:
    # data bits + function modules + "0" -> the padded rows, as text
    rows: Callable[[str], tuple[str, ...]]
    columns: Callable[[str], tuple[str, ...]]  # the same, column by column
    row_masks: tuple[int, ...]  # each mask's data modules, laid out as the rows
    column_masks: tuple[int, ...]
    width: int  # characters per padded line
    length: int  # characters in all
    modules: int  # bit set at every position that is a module (not padding)
    pairs: int  # ... whose right-hand neighbour is a module too
    everything: int


@lru_cache(maxsize=40)
def _scoring(version: int) -> _Scoring:
    layout = _layout(version)
    size, bits = layout.size, len(layout.order)
    source = {flat: bits + flat for flat in range(size * size)}
    for k, flat in enumerate(layout.order):
        source[flat] = k
    pad = bits + size * size
    width = size + 2 * _PAD

    def line(cells: list[int]) -> list[int]:
        return [pad] * _PAD + cells + [pad] * _PAD

    rows = [i for r in range(size) for i in line([source[r * size + c] for c in range(size)])]
    columns = [i for c in range(size) for i in line([source[r * size + c] for r in range(size)])]
    data = set(layout.order)

    def laid_out(mask: Callable[[int, int], bool], transpose: bool) -> int:
        text = "".join(
            "0" * _PAD
            + "".join(
                "1"
                if (b * size + a if transpose else a * size + b) in data
                and (mask(b, a) if transpose else mask(a, b))
                else "0"
                for b in range(size)
            )
            + "0" * _PAD
            for a in range(size)
        )
        return int(text, 2)

    text = "".join(("0" * _PAD + "1" * size + "0" * _PAD) for _ in range(size))
    modules = int(text, 2)
    return _Scoring(
        rows=itemgetter(*rows),
        columns=itemgetter(*columns),
        row_masks=tuple(laid_out(mask, transpose=False) for mask in _MASKS),
        column_masks=tuple(laid_out(mask, transpose=True) for mask in _MASKS),
        width=width,
        length=len(text),
        modules=modules,
        pairs=modules & (modules << 1),
        everything=(1 << len(text)) - 1,
    )


def _finder_like_loop(text: str) -> int:
    """Penalty N3 as segno counts it, on padded text: after a hit the search goes on past
    the pattern, after a miss from its middle."""
    score = 0
    index = text.find(_FINDER_LIKE)
    while index != -1:
        after = index + 7
        if text[index - _PAD : index] == "0000" or text[after : after + _PAD] == "0000":
            score += 40
        else:
            after = index + 4
        index = text.find(_FINDER_LIKE, after)
    return score


def _line_penalty(dark: int, scoring: _Scoring) -> tuple[int, int]:
    """Penalties N1 and N3 of the symbol's rows (or columns), and N2 when given rows, from
    the padded text's bits (1 dark). Bit k is character length - 1 - k: `x << s` holds at
    each character what x holds s characters further on."""
    light = dark ^ scoring.everything  # padding counts as light here...
    light_modules = light & scoring.modules  # ...but not here
    same_dark = dark & (dark << 1) & scoring.pairs
    same_light = light_modules & (light_modules << 1) & scoring.pairs
    # N1: a run of n >= 5 equal modules scores n - 2: its n - 4 windows of four equal
    # neighbour pairs, plus 2 for the run.
    same = same_dark | same_light
    windows = same & (same << 1) & (same << 2) & (same << 3)
    n1 = windows.bit_count() + 2 * (windows & ~(windows << 1)).bit_count()
    # N3: dark, light, dark x3, light, dark with four light modules before or after.
    pattern = (
        dark & (light << 1) & (dark << 2) & (dark << 3) & (dark << 4) & (light << 5) & (dark << 6)
    )
    before = (light >> 1) & (light >> 2) & (light >> 3) & (light >> 4)
    after = (light << 7) & (light << 8) & (light << 9) & (light << 10)
    hits = pattern & (before | after)
    if hits & ((hits << 4) | (hits << 6)):
        # Two hits overlap; segno counts only the first: count as it does.
        n3 = _finder_like_loop(format(dark, f"0{scoring.length}b"))
    else:
        n3 = 40 * hits.bit_count()
    # N2: 2x2 blocks of one colour.
    width = scoring.width
    n2 = 3 * ((same_dark & (same_dark << width)) | (same_light & (same_light << width))).bit_count()
    return n1 + n3, n2


def penalty(rows: int, columns: int, scoring: _Scoring, size: int) -> int:
    """The penalty score of a masked symbol (7.8.3.1), scored as segno scores it."""
    row_score, blocks = _line_penalty(rows, scoring)
    column_score, _ = _line_penalty(columns, scoring)
    dark = rows.bit_count() / size**2
    return row_score + column_score + blocks + 10 * int(abs(dark * 100 - 50) / 5)


def _format_bits(level: str, mask: int) -> int:
    data = _LEVEL_BITS[level] << 3 | mask
    remainder = data
    for _ in range(10):
        remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537)
    return (data << 10 | remainder) ^ 0x5412


def _version_bits(version: int) -> int:
    remainder = version
    for _ in range(12):
        remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25)
    return version << 12 | remainder


def _with_format_and_version(rows: list[list[str]], version: int, level: str, mask: int) -> None:
    size = len(rows)
    bits = _format_bits(level, mask)

    def bit(k: int) -> str:
        return "1" if bits >> k & 1 else "0"

    for k in range(6):
        rows[k][8] = bit(k)
    rows[7][8], rows[8][8], rows[8][7] = bit(6), bit(7), bit(8)
    for k in range(9, 15):
        rows[8][14 - k] = bit(k)
    for k in range(8):
        rows[8][size - 1 - k] = bit(k)
    for k in range(8, 15):
        rows[size - 15 + k][8] = bit(k)
    rows[size - 8][8] = "1"
    if version >= 7:
        info = _version_bits(version)
        for k in range(18):
            value = "1" if info >> k & 1 else "0"
            a, b = size - 11 + k % 3, k // 3
            rows[b][a] = value
            rows[a][b] = value


def encode(payload: str) -> Symbol:
    """The QR code of `payload` (byte mode, level M or better, best mask)."""
    data = payload_bytes(payload)
    version, level = choose_version_and_level(len(data))
    layout = _layout(version)
    size = layout.size
    codewords = _codewords(data, version, level)
    bits = len(layout.order)
    # Remainder bits (0, 3, 4 or 7) are light before masking.
    stream = int.from_bytes(codewords, "big") << (bits - 8 * len(codewords))
    scoring = _scoring(version)
    source = format(stream, f"0{bits}b") + layout.modules + "0"
    rows = int("".join(scoring.rows(source)), 2)
    columns = int("".join(scoring.columns(source)), 2)
    scores = [
        penalty(rows ^ row_mask, columns ^ column_mask, scoring, size)
        for row_mask, column_mask in zip(scoring.row_masks, scoring.column_masks, strict=True)
    ]
    mask = scores.index(min(scores))
    text = format(rows ^ scoring.row_masks[mask], f"0{scoring.length}b")
    width = scoring.width
    grid = [list(text[r * width + _PAD : r * width + _PAD + size]) for r in range(size)]
    _with_format_and_version(grid, version, level, mask)
    return Symbol(version=version, level=level, mask=mask, rows=tuple(map("".join, grid)))
