"""Which quotes are not in their source's text: all the substring searches of a package at once.

A quote is found when, whitespace runs collapsed and ends trimmed, it occurs in its source's
whitespace-normalized text (:mod:`cnplans.validation.provenance`). Searching a text once per
quote scans the text once per quote; here the texts are indexed once for all quotes, with
numpy over UTF-8 bytes (where a substring of a text is exactly a substring of its bytes):

1. A quote whose first space lies within its first :data:`HEAD_BYTES` bytes and which has
   :data:`ANCHOR_BYTES` bytes after that space can only occur where its text has a space at
   the same offset. Its *key* is its source and those 16 bytes.
2. Every position right after a space in the texts whose source and next 8 bytes some quote
   has (a bitmap says, cheaply) gets the same key from its 16 bytes; sorting these keys pairs
   each quote with the text positions holding its key.
3. Each quote is compared with the text at each position holding its key, up to :data:`WIDE`
   bytes at a time over all its bytes, so the answer is exact: keys only narrow the search.

Quotes this cannot key (short ones, a long first word), and quotes whose key the texts repeat
more than :data:`MAX_CANDIDATES` times, are searched with ``in``. Texts are indexed a few
megabytes (:data:`BATCH_BYTES`) at a time, together with the quotes citing them, and quotes
are read where pyarrow parsed them, so temporaries stay small (measured on 1,000,000 synthetic
targets, 1.6 million quotes in 44 MB of source text: about 2 s on 2 CPUs).
:func:`start_search` runs it in the background, beside the other checks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cnplans.validation.context import PackageContext, TextTable
from cnplans.validation.provenance import WHITESPACE
from cnplans.validation.vectorized import arrow_text, text_lengths, to_numpy_bool

ANCHOR_BYTES = 16  # bytes keyed after the first space
HEAD_BYTES = 16  # the first space is looked for in a quote's first bytes
MAX_CANDIDATES = 64  # text positions per quote; beyond that the plain search is cheaper
BATCH_BYTES = 2 << 20  # texts are indexed this many bytes at a time
FILTER_BITS = 23  # size of the bitmap of (source, first anchor word) pairs quotes have
WIDE = 64  # at most this many bytes are compared at a time
CACHE_KEY = "quote_search:absent"
PENDING_KEY = "quote_search:pending"  # the background search, while it runs
EXECUTOR_KEY = "quote_search:executor"  # its thread, until the search is started
SEARCH_KEY = "quote_search:search"  # the QuoteSearch being fed, and the tables in it
BROKEN_KEY = "quote_search:broken"  # keying a table failed: start again at the end
SPACE = 0x20
SEPARATOR = b"\n"  # between texts: normalized texts and quotes hold no newline
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9))
_WHITESPACE_CHAR = WHITESPACE.removesuffix("+")
# A quote that needs normalizing: leading, trailing or doubled whitespace, or any but a space.
_IRREGULAR = (
    rf"^{_WHITESPACE_CHAR}|{_WHITESPACE_CHAR}$|{_WHITESPACE_CHAR}{{2}}|"
    + _WHITESPACE_CHAR.replace(" ", "")
)


def _view(data: Any, dtype: str) -> np.ndarray:
    """Every ``itemsize``-byte window of ``data`` as one element of a 1-d view (no copy).

    Element ``i`` holds bytes ``i .. i + itemsize`` (unaligned); gathering from such a view
    copies whole windows at once.
    """
    width = np.dtype(dtype).itemsize
    size = len(memoryview(data).cast("B"))
    if size < width:
        return np.zeros(0, dtype=dtype)
    return np.ndarray((size - width + 1,), dtype=dtype, buffer=data, strides=(1,))


def _words(data: Any, at: np.ndarray) -> np.ndarray:
    """The 8 bytes at each offset ``at`` of ``data`` as little-endian uint64."""
    words: np.ndarray = _view(data, "<u8")[at]
    return words


def _slot(word: np.ndarray, source: np.ndarray) -> np.ndarray:
    """The bitmap slot of a source and an anchor's first 8 bytes."""
    with np.errstate(over="ignore"):
        mixed = source.astype(np.uint64) * _MIX[1]
        mixed ^= word
        mixed *= _MIX[0]
    return (mixed >> np.uint64(64 - FILTER_BITS)).astype(np.int64)


def _key(first: np.ndarray, second: np.ndarray, source: np.ndarray) -> np.ndarray:
    """One 64-bit key of a source and two 8-byte words (collisions only add candidates)."""
    with np.errstate(over="ignore"):
        key = first * _MIX[0]
        key += second
        key *= _MIX[1]
        key ^= source.astype(np.uint64) * _MIX[0]
    return key


def _batches(texts: Sequence[bytes]) -> list[tuple[int, int]]:
    """Runs ``(first, last)`` of consecutive texts of about :data:`BATCH_BYTES` together."""
    runs, first, size = [], 0, 0
    for last, text in enumerate(texts):
        size += len(text) + 1
        if size >= BATCH_BYTES or last == len(texts) - 1:
            runs.append((first, last))
            first, size = last + 1, 0
    return runs


@dataclass
class _Texts:
    """A run of texts (codes ``first`` on) as one byte string, with where each one is."""

    first: int
    data: bytearray
    starts: np.ndarray
    ends: np.ndarray

    @classmethod
    def of(cls, texts: Sequence[bytes], first: int) -> _Texts:
        lengths = np.array([len(t) for t in texts], dtype=np.int64)
        starts = np.zeros(lengths.size, dtype=np.int64)
        np.cumsum(lengths[:-1] + 1, out=starts[1:])
        ends = starts + lengths
        size = int(ends[-1]) if lengths.size else 0
        data = bytearray(size + 1 + ANCHOR_BYTES + WIDE)  # zeros after: windows never run off
        for text, begin, end in zip(texts, starts.tolist(), ends.tolist(), strict=True):
            data[begin:end] = text
            data[end : end + 1] = SEPARATOR
        return cls(first, data, starts, ends)

    def anchors(self, bitmap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions right after a space whose (source, next 8 bytes) the bitmap holds, and
        their keys, in position order."""
        end = int(self.ends[-1]) if self.ends.size else 0
        arr = np.frombuffer(self.data, dtype=np.uint8, count=end)
        positions = np.flatnonzero(arr == SPACE)
        positions += 1
        per_text = np.diff(np.searchsorted(positions, np.append(self.starts, end + 1)))
        source = np.repeat(np.arange(self.starts.size, dtype=np.int64) + self.first, per_text)
        word = _words(self.data, positions)
        kept = bitmap[_slot(word, source)]
        positions, word, source = positions[kept], word[kept], source[kept]
        return positions, _key(word, _words(self.data, positions + 8), source)


@dataclass
class _Index:
    """Text positions grouped by key: ``positions[first[i] : first[i] + count[i]]`` hold
    ``keys[i]`` (keys sorted and distinct)."""

    keys: np.ndarray
    first: np.ndarray
    count: np.ndarray
    positions: np.ndarray

    @classmethod
    def of(cls, positions: np.ndarray, keys: np.ndarray) -> _Index:
        order = np.argsort(keys)
        keys, positions = keys[order], positions[order]
        first = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if keys.size else keys
        count = np.diff(np.append(first, keys.size))
        return cls(keys[first], first, count, positions)

    def runs(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each key: where its run of positions starts, and how long it is (0: none)."""
        if self.keys.size == 0:
            return np.zeros(keys.size, dtype=np.int64), np.zeros(keys.size, dtype=np.int64)
        order = np.argsort(keys)  # sorted lookups walk the index in order: much faster
        at = np.searchsorted(self.keys, keys[order])
        found = np.minimum(at, self.keys.size - 1)
        hit = self.keys[found] == keys[order]
        first = np.zeros(keys.size, dtype=np.int64)
        count = np.zeros(keys.size, dtype=np.int64)
        first[order[hit]] = self.first[found[hit]]
        count[order[hit]] = self.count[found[hit]]
        return first, count


@dataclass
class _Segment:
    """A run of quotes in one buffer: their rows, sources and byte spans, and their keys."""

    rows: np.ndarray  # row in the concatenation of the columns
    source: np.ndarray  # text code, -1 when not checked here
    offsets: np.ndarray  # len(rows) + 1 byte offsets into data
    data: Any  # the buffer (bytes or a pyarrow buffer)
    keyed: np.ndarray | None = None  # positions of the quotes the index can find
    anchor: np.ndarray | None = None  # offset of the byte after the first space
    key: np.ndarray | None = None
    slot: np.ndarray | None = None  # bitmap slot of the source and the anchor's first word
    by_batch: np.ndarray | None = None  # keyed positions ordered by the batch of their text
    batch_bounds: np.ndarray | None = None  # where each batch's run starts in by_batch

    def quote(self, index: int) -> bytes:
        """The quote at ``index``, as UTF-8."""
        view = memoryview(self.data)
        return bytes(view[int(self.offsets[index]) : int(self.offsets[index + 1])])

    def prepare(self, batch_of_text: np.ndarray) -> np.ndarray:
        """Key the quotes that can be keyed, grouped by the batch of their text; return the
        positions of the others (those still to check)."""
        starts, ends = self.offsets[:-1], self.offsets[1:]
        length = ends - starts
        checked = self.source >= 0
        first_space = np.full(starts.size, -1, dtype=np.int64)
        picked = np.flatnonzero(checked & (length >= HEAD_BYTES))
        if picked.size:
            heads = _view(self.data, f"V{HEAD_BYTES}")[starts[picked]]
            spaces = heads.view(np.uint8).reshape(-1, HEAD_BYTES) == SPACE
            has = spaces.any(axis=1)
            first_space[picked[has]] = spaces[has].argmax(axis=1)
        anchor = first_space + 1
        usable = checked & (first_space >= 0) & (length - anchor >= ANCHOR_BYTES)
        self.keyed = np.flatnonzero(usable).astype(np.int32)
        self.anchor = anchor[self.keyed].astype(np.int8)  # at most HEAD_BYTES
        at = starts[self.keyed] + self.anchor
        source = self.source[self.keyed]
        word = _words(self.data, at)
        self.slot = _slot(word, source).astype(np.int32)
        self.key = _key(word, _words(self.data, at + 8), source)
        batch = batch_of_text[source]
        self.by_batch = np.argsort(batch, kind="stable").astype(np.int32)
        self.batch_bounds = np.searchsorted(
            batch[self.by_batch], np.arange(batch_of_text.max() + 2)
        )
        return np.flatnonzero(checked & ~usable)

    def in_batch(self, batch: int) -> np.ndarray:
        """Positions (in the keyed arrays) of the keyed quotes whose text is in ``batch``."""
        assert self.by_batch is not None and self.batch_bounds is not None
        return self.by_batch[self.batch_bounds[batch] : self.batch_bounds[batch + 1]]

    def search(
        self, texts: _Texts, index: _Index, picks: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Which of the keyed quotes ``picks`` occur in their text (all in ``texts``), and
        which are too crowded to tell."""
        assert self.keyed is not None and self.anchor is not None and self.key is not None
        first, count = index.runs(self.key[picks])
        crowded = count > MAX_CANDIDATES
        count[crowded] = 0
        quote_of = np.repeat(np.arange(count.size), count)
        ramp = np.arange(quote_of.size) - np.repeat(np.cumsum(count) - count, count)
        anchor = self.anchor[picks]
        text_start = index.positions[first[quote_of] + ramp] - anchor[quote_of]
        items = self.keyed[picks][quote_of]
        start = self.offsets[items]
        length = self.offsets[items + 1] - start
        source = self.source[items] - texts.first
        inside = (text_start >= texts.starts[source]) & (text_start + length <= texts.ends[source])
        near = np.flatnonzero(inside)
        quote_of, text_start, start, length = (
            quote_of[near],
            text_start[near],
            start[near],
            length[near],
        )
        found = np.zeros(count.size, dtype=bool)
        found[quote_of[_equal(texts.data, self.data, text_start, start, length)]] = True
        return found, crowded


def _equal(
    text: Any, data: Any, text_start: np.ndarray, start: np.ndarray, length: np.ndarray
) -> np.ndarray:
    """Whether each quote (16 bytes or more) equals the text at ``text_start``, byte for byte.

    A quote is compared in pieces as wide as the largest power of two it holds (16 to
    :data:`WIDE`), the last piece aligned with its end, so every byte is compared.
    """
    equal = np.zeros(length.size, dtype=bool)
    width_of = np.minimum(WIDE, 1 << np.floor(np.log2(np.maximum(length, 16))).astype(np.int64))
    for width in sorted(set(width_of.tolist())):
        picked = np.flatnonzero(width_of == width)
        size = length[picked]
        pieces = (size + width - 1) // width
        ends = np.cumsum(pieces)
        quote_of = np.repeat(np.arange(picked.size), pieces)
        offset = (np.arange(quote_of.size) - np.repeat(ends - pieces, pieces)) * width
        np.minimum(offset, size[quote_of] - width, out=offset)
        ours = _view(text, f"V{width}")[text_start[picked][quote_of] + offset]
        theirs = _view(data, f"V{width}")[start[picked][quote_of] + offset]
        words = width // 8  # compared as 8-byte integers: faster than comparing the pieces
        same = np.equal(
            ours.view("<u8").reshape(-1, words), theirs.view("<u8").reshape(-1, words)
        ).all(axis=1)
        equal[picked] = np.logical_and.reduceat(same, ends - pieces)
    return equal


def _buffers(array: Any) -> tuple[np.ndarray, Any]:
    """Offsets (one more than the strings) and data buffer of a large_string array."""
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[
        array.offset : array.offset + len(array) + 1
    ]
    data = array.buffers()[2]
    return offsets, (data if data is not None else b"")


def _needs_normalizing(arr: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Quotes that may hold whitespace to normalize (exact for ASCII, a superset otherwise)."""
    starts, ends = offsets[:-1], offsets[1:]
    flag = np.zeros(starts.size, dtype=bool)
    used = arr[offsets[0] : offsets[-1]]
    if used.size == 0:
        return flag
    # Control characters, DEL and non-ASCII bytes: the bytes outside 0x20..0x7E.
    unusual = np.flatnonzero(np.subtract(used, SPACE, dtype=np.uint8) > 0x7E - SPACE)
    space = used == SPACE
    doubled = np.flatnonzero(space[1:] & space[:-1])
    for positions in (unusual, doubled):
        if positions.size:
            flag[np.searchsorted(ends, positions + offsets[0], side="right")] = True
    nonempty = ends > starts
    flag |= nonempty & (arr[np.minimum(starts, arr.size - 1)] == SPACE)
    flag |= nonempty & (arr[np.maximum(ends - 1, 0)] == SPACE)
    return flag


def _segments(quotes: Any, source: np.ndarray, first_row: int) -> list[_Segment]:
    """The column's quotes as buffers, whitespace-normalized, with unchecked rows left out.

    Quotes that need normalizing are normalized by pyarrow into a buffer of their own (one per
    block); the rest are used where they are.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    segments = []
    position = 0
    for chunk in quotes.chunks:
        count = len(chunk)
        if count == 0:
            continue
        rows = np.arange(position, position + count)
        position += count
        offsets, data = _buffers(chunk)
        irregular = _needs_normalizing(np.frombuffer(data, dtype=np.uint8), offsets)
        suspicious = np.flatnonzero(irregular)
        if suspicious.size:  # the byte test over-approximates: settle it with the exact class
            taken = chunk.take(pa.array(suspicious))
            irregular[suspicious] = to_numpy_bool(pc.match_substring_regex(taken, _IRREGULAR))
        checked = source[rows] >= 0
        kept = np.where(~irregular & checked, source[rows], -1).astype(np.int32)
        segments.append(_Segment((rows + first_row).astype(np.int32), kept, offsets, data))
        picked = np.flatnonzero(irregular & checked)
        if picked.size:
            normalized = pc.utf8_trim(
                pc.replace_substring_regex(chunk.take(pa.array(picked)), WHITESPACE, " "), " "
            ).cast(pa.large_string())
            offsets, data = _buffers(normalized)
            segments.append(
                _Segment(
                    (rows[picked] + first_row).astype(np.int32), source[rows][picked], offsets, data
                )
            )
    return segments


def absent_quotes(
    texts: Sequence[bytes], columns: Sequence[tuple[pd.Series, pd.Series]], ids: Sequence[str]
) -> list[np.ndarray]:
    """For each ``(source_id, quote)`` column pair: which rows' quotes are not in their text.

    ``texts[i]`` is the whitespace-normalized text (UTF-8) of the source ``ids[i]``. A row
    whose source id is not in ``ids`` or whose quote is empty is not checked (False). A quote
    is found exactly when ``quote.strip()`` or
    :func:`~cnplans.validation.provenance.normalize_quote` of it is in the text.
    """
    search = QuoteSearch(texts, ids)
    for source_ids, quotes in columns:
        search.add(source_ids, quotes)
    return search.run()


class QuoteSearch:
    """:func:`absent_quotes` a column at a time: each is keyed as it is added, then all are
    searched together by :meth:`run` (so columns can be prepared while others are read)."""

    def __init__(self, texts: Sequence[bytes], ids: Sequence[str]) -> None:
        import pyarrow as pa

        self.texts = texts
        self.id_set = pa.array(list(ids), type=pa.large_string())
        self.runs = _batches(texts)
        # The batch of each text (and one more, for no text at all).
        self.batch_of_text = np.zeros(len(texts) + 1, dtype=np.int32)
        for batch, (first, last) in enumerate(self.runs):
            self.batch_of_text[first : last + 1] = batch
        self.segments: list[_Segment] = []
        self.plain: list[tuple[_Segment, np.ndarray]] = []  # quotes searched with ``in``
        self.sizes: list[int] = []

    def add(self, source_ids: pd.Series, quote_column: pd.Series) -> None:
        """Key the quotes of one ``(source_id, quote)`` column pair."""
        import pyarrow.compute as pc

        quotes = arrow_text(quote_column)
        code = pc.fill_null(pc.index_in(arrow_text(source_ids), value_set=self.id_set), -1)
        source = np.array(code.to_numpy(zero_copy_only=False), dtype=np.int32)  # writable
        source[text_lengths(quote_column) == 0] = -1
        for segment in _segments(quotes, source, sum(self.sizes)):
            self.plain.append((segment, segment.prepare(self.batch_of_text)))
            self.segments.append(segment)
        self.sizes.append(len(quote_column))

    def run(self) -> list[np.ndarray]:
        """For each column added, in order: which rows' quotes are not in their text."""
        texts, segments = self.texts, self.segments
        edges = np.cumsum([0, *self.sizes])
        missing = np.zeros(int(edges[-1]), dtype=bool)
        plain = list(self.plain)
        bitmap = np.zeros(1 << FILTER_BITS, dtype=bool)
        for batch, (first, last) in enumerate(self.runs):  # a few megabytes of text at a time
            picks = [segment.in_batch(batch) for segment in segments]
            for segment, pick in zip(segments, picks, strict=True):
                assert segment.slot is not None
                bitmap[segment.slot[pick]] = True
            texts_here = _Texts.of(texts[first : last + 1], first)
            index = _Index.of(*texts_here.anchors(bitmap))
            for segment, pick in zip(segments, picks, strict=True):
                assert segment.keyed is not None and segment.slot is not None
                bitmap[segment.slot[pick]] = False
                if pick.size == 0:
                    continue
                found, crowded = segment.search(texts_here, index, pick)
                missing[segment.rows[segment.keyed[pick]]] = ~found & ~crowded
                plain.append((segment, segment.keyed[pick][crowded]))
        for segment, items in plain:  # normalized quotes: found exactly when in the text
            for item in items.tolist():
                quote = segment.quote(item)
                text = texts[int(segment.source[item])]
                missing[segment.rows[item]] = bool(quote) and quote not in text
        return [missing[edges[i] : edges[i + 1]] for i in range(len(self.sizes))]


def absent_by_table(
    texts: Mapping[str, bytes | str | None], columns: Sequence[tuple[pd.Series, pd.Series]]
) -> list[np.ndarray]:
    """:func:`absent_quotes` with texts by source id (None: unreadable, so not checked)."""
    ids = [source_id for source_id, text in texts.items() if text is not None and source_id]
    encoded = [_utf8(texts[i]) for i in ids]
    return absent_quotes(encoded, columns, ids)


def _utf8(text: bytes | str | None) -> bytes:
    return text.encode("utf-8") if isinstance(text, str) else bytes(text or b"")


def start_search(context: PackageContext, name: str | None) -> None:
    """Read the source files, key each table's quotes and search them all, in the background.

    Called as each table's text is read (``name``) and once all are (None). The source files
    are read as soon as the ``sources`` text is; the quotes of each table read after that are
    keyed as it comes; the search runs when every text is read, while the metadata is checked,
    the tables are typed and the other checks run (numpy and pyarrow release the interpreter
    lock). One worker does it all, in that order. :func:`absent_quote_rows` collects the result.
    """
    if PENDING_KEY in context.cache or CACHE_KEY in context.cache:
        return
    from concurrent.futures import ThreadPoolExecutor

    from cnplans.validation.provenance import source_files

    executor = context.cache.get(EXECUTOR_KEY)
    if executor is None:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cnplans-quotes")
        context.cache[EXECUTOR_KEY] = executor
    if name == "sources":
        executor.submit(source_files, context)  # its result is cached in the context
    elif name is not None:
        executor.submit(_add_table, context, name)
    else:
        context.cache[PENDING_KEY] = executor.submit(_search_package, context)
        executor.shutdown(wait=False)
        del context.cache[EXECUTOR_KEY]


def _quoting(table: TextTable | None) -> bool:
    return table is not None and all(c in table.raw.columns for c in ("source_id", "quote"))


def _started(context: PackageContext) -> tuple[QuoteSearch, list[str]]:
    """The search of this run and the tables added to it (created with the source texts)."""
    if SEARCH_KEY not in context.cache:
        from cnplans.validation.provenance import source_files

        files, _ = source_files(context)
        texts = {k: v.normalized for k, v in files.items()}
        ids = [source_id for source_id, text in texts.items() if text is not None and source_id]
        context.cache[SEARCH_KEY] = (QuoteSearch([_utf8(texts[i]) for i in ids], ids), [])
    started: tuple[QuoteSearch, list[str]] = context.cache[SEARCH_KEY]
    return started


def _add_table(context: PackageContext, name: str) -> None:
    """Key the quotes of a table whose text was just read (once the source texts are)."""
    table = context.texts.get(name)
    if "sources" not in context.texts or not _quoting(table) or context.cache.get(BROKEN_KEY):
        return  # keyed with the others at the end
    assert table is not None
    search, added = _started(context)
    try:
        search.add(table.raw["source_id"], table.raw["quote"])
    except Exception:
        context.cache[BROKEN_KEY] = True  # the search is started again at the end
        raise
    added.append(name)


def _search_package(context: PackageContext) -> dict[str, np.ndarray]:
    if context.cache.pop(BROKEN_KEY, False):
        context.cache.pop(SEARCH_KEY, None)
    search, added = _started(context)
    for name, table in context.texts.items():
        if name not in added and _quoting(table):
            search.add(table.raw["source_id"], table.raw["quote"])
            added.append(name)
    return dict(zip(added, search.run(), strict=True))


def absent_quote_rows(context: PackageContext) -> dict[str, np.ndarray]:
    """For every table with ``source_id`` and ``quote``: the rows whose quote is absent.

    Searched once per validation run, for all tables together (kept in ``context.cache``);
    the result of :func:`start_search` when it was started.
    """
    if CACHE_KEY not in context.cache:
        pending = context.cache.pop(PENDING_KEY, None)
        if pending is not None:
            context.cache[CACHE_KEY] = pending.result()
        else:
            context.cache[CACHE_KEY] = _search_package(context)
    absent: dict[str, np.ndarray] = context.cache[CACHE_KEY]
    return absent
