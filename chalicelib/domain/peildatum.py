"""The one peildatum of a delivery (delivery-format.md: the same on every row), checked batch by batch."""

from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from chalicelib.domain import parsing


class PeildatumError(Exception):
    """A row whose peildatum is not the file's: `peildatum_invalid` or `peildatum_mismatch`."""

    def __init__(self, code: str, line: int) -> None:
        super().__init__(code)
        self.code = code
        self.line = line


class FilePeildatum:
    """The one peildatum of the file, checked batch by batch (compared as dates, so 2026-11-01
    equals 01-11-2026): the first row's, or the upload date when the file leaves it empty."""

    def __init__(self, upload_date: date) -> None:
        self.value: date | None = None
        self._upload_date = upload_date
        self._first: str | None = None  # the first row's value, trimmed
        self._first_line = 0
        self._same: set[str] = set()  # values known to name the file's peildatum

    def check(self, column: pa.Array | None, lines: NDArray[np.int64]) -> date:
        """The file's peildatum, given a batch's peildatum column (None: the file has none) and
        the physical line of each of its rows; raises PeildatumError where a row differs."""
        if column is None:
            return self._upload_date
        values = pc.utf8_trim_whitespace(column)
        distinct = pc.unique(values)
        if self._first is None:
            self._first, self._first_line = values[0].as_py(), int(lines[0])
            if self._first == "":
                self.value = self._upload_date
            else:
                parsed, errors = parsing.parse_datum(pa.array([self._first]), required=True)
                if errors[0].is_valid:
                    code = "peildatum_invalid" if len(distinct) == 1 else "peildatum_mismatch"
                    raise PeildatumError(code, self._first_line)
                self.value = parsed[0].as_py()
            self._same.add(self._first)
        new = [value for value in distinct.to_pylist() if value not in self._same]
        if new:
            if self._first == "":
                raise PeildatumError("peildatum_mismatch", self._first_line)
            parsed, errors = parsing.parse_datum(pa.array(new, pa.string()), required=True)
            same = pc.and_(
                pc.is_null(errors), pc.fill_null(pc.equal(parsed, pa.scalar(self.value, pa.date32())), False)
            )
            self._same.update(pa.array(new, pa.string()).filter(same).to_pylist())
            differs = pc.invert(pc.is_in(values, value_set=pa.array(sorted(self._same), pa.string())))
            at = np.flatnonzero(differs.to_numpy(zero_copy_only=False))
            if at.size:
                raise PeildatumError("peildatum_mismatch", int(lines[at[0]]))
        assert self.value is not None
        return self.value
