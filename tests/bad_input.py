"""The bad-input corpus: what an outside tester, a broken feed or a forged link sends us.

Used against every URL pattern (tests/test_bad_input_urls.py) and both ingestion paths
(tests/papers/test_bad_records.py). Add to it whenever an input class gets past us.
"""

# Text that must never reach a 500, in a path segment, a query string or a form field.
STRINGS = [
    "\x00",
    "a\x00b",
    "\x01\x02\x1b[31m\x7f",
    "line\nbreak",
    "trailing-newline\n",
    "x" * 5000,
    "ı",  # dotless i: lowercases and casefolds to itself, uppercases to a plain I
    "\u212a",  # Kelvin sign: lowercases to a plain k
    "ﬁ",  # ligature: casefolds to two letters
    "\ufeff",
    "\u202e",
    "%",
    "%00",
    "..",
    "'; DROP TABLE papers_paper; --",
    "<script>alert(1)</script>",
    "-1",
    "0",
    "99999999999999999999999999",
    "-99999999999999999999",
    "1e309",
    "NaN",
    "9999-W52",
    "0000-W00",
    "2026-W99",
    "-2026-W01",
    "2501.01234v99999",
    "2501.01234v0",
    "hep-th/9901001",
    "[]",
    "{}",
    '"a string"',
    "null",
]

# JSON values of the wrong type or out of range, for each field of a snapshot row.
JSON_VALUES = [None, "", "x" * 400, "a\x00b", 0, -1, 10**30, 1.5, True, [], [1, 2], {}, {"a": 1}, ["x" * 400]]

# Payloads a signed token may decode to, though we never sign them.
TOKEN_PAYLOADS = ["a string", ["a", "list"], {"a": "dict"}, None, True, 1.5, 10**30, -1, 0]
