"""Turning a delivery's byte stream into batches of string columns with the physical line of every record.

The stream is taken in segments of whole lines, each checked (NUL bytes, line length, encoding)
and converted to UTF-8 before anything parses it; so no line, header or batch can be larger than
its cap, whatever the file. A batch ends at a record boundary. pyarrow's CSV reader parses a batch
whose quotes are all where RFC 4180 puts them (the fast path); Python's csv module reads any other
batch exactly, and decides itself where that batch ends. Both skip empty lines.
"""

import csv
import re
from collections.abc import Iterable, Iterator

import numpy as np
import pyarrow as pa

from chalicelib.domain.csvbatch import (
    MAX_VALUE_LINE_BREAKS,
    FileError,
    Header,
    Records,
    boundary,
    newlines,
    quotes_in_place,
    read_arrow,
    with_multi_line,
)

MAX_HEADER_BYTES = 256 * 1024  # 10,000 columns of 25 characters
MAX_LINE_BYTES = 256 * 1024  # a delivery's line is a few hundred bytes
MAX_COLUMNS = 10_000
BATCH_BYTES = 8 * 1024 * 1024  # text read before a batch is cut (it may reach one segment further)
_RECORD_BYTES = (MAX_VALUE_LINE_BREAKS + 2) * MAX_LINE_BYTES  # the longest a record may be, and then some
_GZIP = b"\x1f\x8b"
_ZIP = b"PK\x03\x04"
_BOM = b"\xef\xbb\xbf"

# A field read by the Python fallback is at most a batch's buffer long (csv's default is 128 KiB).
csv.field_size_limit(max(csv.field_size_limit(), 4 * BATCH_BYTES))


class Reread(Exception):
    """Windows-1252 bytes came after UTF-8 text that was already read: the whole file is
    Windows-1252 (delivery-format.md), so it must be read again from the start as such."""


def read_header(text: bytes) -> Header:
    """The first line's names and the delimiter (`;` unless `,` occurs more often)."""
    end = text.find(b"\n")
    first = (text if end < 0 else text[:end]).rstrip(b"\r").decode("utf-8")
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    try:
        names = next(csv.reader([first], delimiter=delimiter), [])
    except csv.Error as exc:
        raise FileError("file_unreadable", str(exc)) from exc
    if len(names) > MAX_COLUMNS:
        raise FileError("too_many_columns", line=1)
    return Header(names=names, delimiter=delimiter)


class RecordStream:
    """One delivery's records, batch by batch, from its bytes in chunks of any size.

    `header` reads the first line; `batches` the records after it. Raises FileError for a file
    that cannot be read (at the point where that shows) and Reread when it turns out to be
    Windows-1252 after UTF-8 was read (`encoding="cp1252"` reads it so from the start).
    """

    def __init__(self, chunks: Iterable[bytes], *, encoding: str | None = None, batch_bytes: int = BATCH_BYTES) -> None:
        self.windows_1252 = encoding == "cp1252"
        self.newlines = 0  # line breaks read so far
        self._segments = _Segments(iter(chunks))
        self._batch_bytes = batch_bytes
        self._text = b""  # decoded lines not yet parsed
        self._pending: list[bytes] = []  # decoded segments read after `_text`, joined when needed
        self._pending_bytes = 0
        self._breaks = 0  # line breaks in `_text`, as the segments counted them
        self._pending_breaks = 0
        self._line = 1  # the physical line `_text` starts on
        self._eof = False
        self._ascii_so_far = True
        self._header: Header | None = None

    # ------------------------------------------------------------------ reading

    def header(self) -> Header:
        while b"\n" not in self._text and self._more():
            self._join()
        end = self._text.find(b"\n")
        self._header = read_header(self._text)
        self._text = b"" if end < 0 else self._text[end + 1 :]
        if end >= 0:
            self._breaks -= 1
        self._line = 2
        return self._header

    def batches(self, wanted: dict[str, int]) -> Iterator[Records]:
        """Records of the columns at the given header positions (name -> index), as strings."""
        if self._header is None:
            raise RuntimeError("read the header first")
        while True:
            # At least a batch's worth, joined once; the batch then ends at the text's end (or the
            # last record boundary before it), so nothing of it is copied again.
            while len(self._text) + self._pending_bytes < self._batch_bytes and self._more():
                pass
            self._join()
            if not self._text:
                return
            yield self._next_batch(self._header, wanted)

    def _more(self) -> bool:
        """Read the next segment (`_join` adds it to the text); False at the end of the file."""
        if self._eof:
            return False
        segment = next(self._segments, None)
        if segment is None:
            self._eof = True
            return False
        decoded = self._decode(segment)  # as many line breaks as the segment
        self._pending.append(decoded)
        self._pending_bytes += len(decoded)
        self._pending_breaks += self._segments.breaks
        self.newlines += self._segments.breaks
        return True

    def _join(self) -> None:
        if self._pending:
            pieces = [self._text, *self._pending] if self._text else self._pending
            self._text = pieces[0] if len(pieces) == 1 else b"".join(pieces)
            self._breaks += self._pending_breaks
            self._pending, self._pending_bytes, self._pending_breaks = [], 0, 0

    def _decode(self, segment: bytes) -> bytes:
        if not self.windows_1252:
            if segment.isascii():
                return _line_endings(segment)
            if _is_utf8(segment):
                self._ascii_so_far = False
                return _line_endings(segment)
            if not self._ascii_so_far:
                raise Reread()
            self.windows_1252 = True  # only ASCII so far, which reads the same either way
        try:
            return _line_endings(segment.decode("cp1252").encode("utf-8"))
        except UnicodeDecodeError as exc:
            raise FileError("file_encoding") from exc

    # ------------------------------------------------------------------ batches

    def _next_batch(self, header: Header, wanted: dict[str, int]) -> Records:
        text, last = self._text, self._eof
        end = len(text) if last else boundary(text, len(text))
        records, cut, breaks = None, 0, 0
        if end is not None and quotes_in_place(text, end, header.delimiter):
            batch, cut, breaks = text[:end], end, self._breaks_before(end)
            records = read_arrow(batch, header, wanted, self._line, breaks)
            if records is not None:
                records = with_multi_line(batch, records, self._line, last=last and end == len(text))
        while records is None:
            try:
                records, cut = self._read_python(header, wanted)
                breaks = self._breaks_before(cut)
            except _NeedMore:
                # A record reaches past the text read: read on, as far as one record may reach.
                if len(self._text) > 2 * self._batch_bytes + _RECORD_BYTES:
                    raise FileError("quote_spans_lines", line=self._line) from None
                self._more()
                self._join()
        self._line += breaks
        self._breaks -= breaks
        self._text = self._text[cut:]
        return records

    def _breaks_before(self, end: int) -> int:
        return self._breaks if end == len(self._text) else newlines(self._text, end)

    def _read_python(self, header: Header, wanted: dict[str, int]) -> tuple[Records, int]:
        """Records from the start of the text until a batch's worth is read; their end."""
        text, base, limit = self._text, self._line, self._batch_bytes
        lines = text.splitlines(keepends=True)
        read = _Fed(lines)
        width = len(header.names)
        values: dict[str, list[str]] = {name: [] for name in wanted}
        starts: list[int] = []
        bad: list[tuple[int, int]] = []
        multi: list[tuple[int, int]] = []
        reader = csv.reader(read, delimiter=header.delimiter)
        rows = 0
        try:
            while read.consumed < limit or read.index == 0:
                read.start_record()
                record = next(reader, None)
                if record is None:
                    break
                if not record:
                    continue
                if read.running_out and not self._eof:
                    raise _NeedMore()
                line = base + read.record_start
                rows += 1
                if read.record_lines > 1:
                    multi.append((line, read.record_lines))
                if len(record) != width:
                    bad.append((line, len(record)))
                    continue
                starts.append(line)
                for name, index in wanted.items():
                    values[name].append(record[index])
        except _TooManyLines:
            line = base + read.record_start
            raise FileError(self._spans_or_unclosed(text, read.offset_of(read.record_start + 1)), line=line) from None
        except csv.Error as exc:
            raise FileError("file_unreadable", str(exc)) from exc
        columns = {name: pa.array(column, pa.string()) for name, column in values.items()}
        records = Records(columns, np.array(starts, dtype=np.int64), bad, rows, width, multi)
        return records, read.consumed

    def _spans_or_unclosed(self, text: bytes, after: int) -> str:
        """`quote_unclosed` when no quote follows the line a runaway record opens on, to the end of
        the file (read on to find out, in bounded pieces), else `quote_spans_lines`."""
        if text.find(b'"', after) >= 0:
            return "quote_spans_lines"
        self._text = b""
        while self._more():
            self._join()
            if b'"' in self._text:
                return "quote_spans_lines"
            self._text = b""
        return "quote_unclosed"


class _TooManyLines(Exception):
    pass


class _NeedMore(Exception):
    pass


class _Fed:
    """The lines a csv.reader takes, counted: which line a record starts on, how many non-empty
    lines it spans (it may not span more than a value's allowed breaks), how many bytes are read."""

    def __init__(self, lines: list[bytes]) -> None:
        self._lines = lines
        self.index = 0  # lines handed out
        self.consumed = 0  # their bytes
        self.record_start = 0  # index of the current record's first non-empty line
        self.record_lines = 0  # non-empty lines of the current record
        self.running_out = False
        self._lengths: list[int] = []

    def start_record(self) -> None:
        self.record_start = self.index
        self.record_lines = 0

    def offset_of(self, index: int) -> int:
        return sum(self._lengths[:index])

    def __iter__(self) -> "_Fed":
        return self

    def __next__(self) -> str:
        if self.index >= len(self._lines):
            self.running_out = True
            raise StopIteration
        raw = self._lines[self.index]
        self.index += 1
        self.consumed += len(raw)
        self._lengths.append(len(raw))
        if raw.strip(b"\r\n"):
            if self.record_lines == 0:
                self.record_start = self.index - 1
            self.record_lines += 1
            if self.record_lines > MAX_VALUE_LINE_BREAKS + 1:
                raise _TooManyLines()
        return raw.decode("utf-8")


class _Segments:
    """The byte stream in pieces of whole lines (the last may lack its line break), each checked
    before it is decoded: magic numbers, NUL bytes, the header's and every line's length."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._carry = b""
        self._started = False
        self._line = 1  # the physical line `_carry` starts on
        self.breaks = 0  # line breaks in the segment last returned

    def __iter__(self) -> "_Segments":
        return self

    def __next__(self) -> bytes:
        for chunk in self._chunks:
            if not chunk:
                continue
            if not self._started:
                data = self._carry + chunk if self._carry else chunk
                if len(data) < len(_ZIP):
                    self._carry = data
                    continue
                self._carry, chunk = b"", self._start(data)
            if b"\x00" in chunk:
                raise FileError("file_binary")
            end = chunk.rfind(b"\n")  # the carry never holds a line break
            if end < 0:
                self._carry += chunk
                self._check_open_line()
                continue
            # One copy (none for a chunk that is a segment already); slicing and adding made two.
            whole = not self._carry and end + 1 == len(chunk)
            segment = chunk if whole else b"".join((self._carry, memoryview(chunk)[: end + 1]))
            self._carry = chunk[end + 1 :]
            self._check_lines(segment)
            self._check_open_line()
            return segment
        if not self._started:
            self._carry = self._start(self._carry)
            if b"\x00" in self._carry:
                raise FileError("file_binary")
        if not self._carry:
            raise StopIteration
        segment, self._carry = self._carry, b""
        if self._line == 1 and b"\r" in segment and segment.count(b"\r") != segment.count(b"\r\n"):
            raise FileError("file_line_endings")
        self._check_lines(segment)
        return segment

    def _start(self, data: bytes) -> bytes:
        self._started = True
        if data.startswith(_GZIP) or data.startswith(_ZIP):
            raise FileError("file_compressed")
        return data[len(_BOM) :] if data.startswith(_BOM) else data

    def _check_open_line(self) -> None:
        """A line still without its end may not outgrow its cap while the stream is read on."""
        cap = MAX_HEADER_BYTES if self._line == 1 else MAX_LINE_BYTES
        if len(self._carry) > cap:
            self._too_long(self._line, self._carry)

    def _check_lines(self, segment: bytes) -> None:
        breaks = newlines(segment)
        header_end = segment.find(b"\n") if self._line == 1 else -1
        if self._line == 1 and (header_end if header_end >= 0 else len(segment)) > MAX_HEADER_BYTES:
            self._too_long(1, segment)
        # A line over the cap holds a whole aligned block of half the cap without a line break:
        # a few finds a segment instead of measuring every line.
        half = MAX_LINE_BYTES // 2
        for start in range(header_end + 1, len(segment), half):
            if segment.find(b"\n", start, start + half) >= 0:
                continue
            begin = segment.rfind(b"\n", 0, start) + 1
            end = segment.find(b"\n", start)
            end = len(segment) if end < 0 else end
            if end - begin > MAX_LINE_BYTES:
                self._too_long(self._line + segment.count(b"\n", 0, begin), segment[begin:end])
        self._line += breaks
        self.breaks = breaks

    def _too_long(self, line: int, text: bytes) -> None:
        if line == 1 and b"\r" in text and text.count(b"\r") != text.count(b"\r\n"):
            raise FileError("file_line_endings")
        raise FileError("header_too_long" if line == 1 else "line_too_long", line=line)


_LONE_CR = re.compile(rb"\r(?!\n)")


def _line_endings(text: bytes) -> bytes:
    """A lone CR inside a value becomes a space, so both parsers (which would end a record
    there) and the line numbers agree."""
    if text.find(b"\r") < 0 or text.count(b"\r") == text.count(b"\r\n"):
        return text
    return _LONE_CR.sub(b" ", text)


def _is_utf8(data: bytes) -> bool:
    """Arrow's SIMD UTF-8 check: about ten times faster than bytes.decode on a large text."""
    offsets = np.array([0, len(data)], dtype=np.int64)
    whole = pa.LargeStringArray.from_buffers(1, pa.py_buffer(offsets), pa.py_buffer(data))
    try:
        whole.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True
