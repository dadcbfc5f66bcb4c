"""Arrow columns as NumPy arrays without pandas.

pyarrow's ``to_numpy`` goes through its pandas conversion layer, which imports pandas on first
use: a third of a fresh ``naswot-db search`` on a quiet machine, more than the search itself.
Numeric and boolean columns are read from their buffers here instead, with the values
``to_numpy`` gives (NULL doubles as NaN); any other column (text, NULL integers or booleans)
still goes to ``to_numpy``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def _fixed_width(array: pa.Array) -> np.ndarray | None:
    """``array.to_numpy()`` for a numeric or boolean array, or None for any other."""
    data_type = array.type
    if pa.types.is_boolean(data_type):
        if array.null_count:
            return None
        bits = np.frombuffer(array.buffers()[1], dtype=np.uint8)
        return np.unpackbits(bits, bitorder="little", count=array.offset + len(array))[
            array.offset:].astype(bool)
    if not (pa.types.is_integer(data_type) or pa.types.is_floating(data_type)):
        return None
    if array.null_count and not pa.types.is_floating(data_type):
        return None  # to_numpy makes such a column float with NaN
    kind = "f" if pa.types.is_floating(data_type) else "i" if pa.types.is_signed_integer(
        data_type) else "u"
    dtype = np.dtype(f"{kind}{data_type.bit_width // 8}")
    values = np.frombuffer(array.buffers()[1], dtype=dtype, count=len(array),
                           offset=array.offset * dtype.itemsize)
    if array.null_count:
        valid = np.unpackbits(np.frombuffer(array.buffers()[0], dtype=np.uint8),
                              bitorder="little", count=array.offset + len(array))[array.offset:]
        values = np.where(valid.astype(bool), values, np.nan)
    return values


def column_to_numpy(column: pa.ChunkedArray) -> np.ndarray:
    """``column.to_numpy()``, read from the buffers where the column allows it: a zero-copy
    view for one chunk without NULLs, as ``to_numpy`` gives."""
    chunks = column.chunks
    arrays = [_fixed_width(chunk) for chunk in chunks]
    if chunks and all(array is not None for array in arrays):
        return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)
    return column.to_numpy()
