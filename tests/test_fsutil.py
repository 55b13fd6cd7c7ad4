import math

import numpy as np
import pytest

from dprk_stance.fsutil import json_number


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (0.1234567891, None, 0.1234567891),
        (0.1234567891, 6, 0.123457),
        (np.float32(0.5), None, 0.5),
        (np.int64(3), 2, 3.0),
        (float("nan"), None, None),
        (np.nan, 6, None),
        (math.inf, None, None),
        (-np.inf, 3, None),
        (None, None, None),
    ],
)
def test_json_number_keeps_finite_values_and_nulls_the_rest(value, digits, expected):
    got = json_number(value, digits)
    assert got == expected
    assert got is None or type(got) is float
