"""One normalisation of email addresses, shared by every lookup, the unique index and the rate limiter.

NFKC then casefold, in Python: 'Ada@Example.org', 'ADA@EXAMPLE.ORG' and 'ａｄａ@example.org' are one
address; 'admın@example.org' (dotless ı) is another. Lookups compare this key exactly, never with
PostgreSQL's case-insensitive match, whose idea of case (UPPER('ı') = 'I') differs from Python's: then
a look-alike reached an account under fresh rate-limiter keys.
"""

import unicodedata


def normalized_email(email: str) -> str:
    return unicodedata.normalize("NFKC", email.strip()).casefold()
