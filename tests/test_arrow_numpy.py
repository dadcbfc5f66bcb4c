"""column_to_numpy gives what pyarrow's own to_numpy gives, for every column type a query
reads, with and without NULLs, sliced and in several chunks."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from naswot_db.query.arrow_numpy import column_to_numpy

TYPES = [pa.int64(), pa.int32(), pa.uint64(), pa.int8(), pa.float64(), pa.float32(), pa.bool_(),
         pa.string()]


def _values(data_type: pa.DataType, rng: np.random.Generator, nulls: bool) -> pa.Array:
    if pa.types.is_boolean(data_type):
        values = [bool(v) for v in rng.random(37) < 0.5]
    elif pa.types.is_string(data_type):
        values = [str(v) for v in range(37)]
    elif pa.types.is_floating(data_type):
        values = [float(v) for v in rng.normal(size=37)]
    else:
        values = [int(v) for v in rng.integers(0, 100, 37)]
    return pa.array([None if nulls and i % 5 == 0 else v for i, v in enumerate(values)],
                    type=data_type)


@pytest.mark.parametrize("nulls", [False, True])
@pytest.mark.parametrize("data_type", TYPES, ids=str)
def test_same_array_as_pyarrow(data_type, nulls):
    array = _values(data_type, np.random.default_rng(len(str(data_type))), nulls)
    for column in (pa.chunked_array([array]), pa.chunked_array([array.slice(3, 20)]),
                   pa.chunked_array([array.slice(0, 9), array.slice(9)]),
                   pa.chunked_array([], type=data_type)):
        ours, theirs = column_to_numpy(column), column.to_numpy()
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        if ours.dtype.kind == "O":
            assert ours.tolist() == theirs.tolist()
        else:
            assert np.array_equal(ours, theirs, equal_nan=ours.dtype.kind == "f")
