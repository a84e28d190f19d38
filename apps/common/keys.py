"""Every name that must not collide across the code base, in one place.

Advisory-lock keys: PostgreSQL has one key space per database, so two jobs given the same number
silently exclude each other (embedding and training once did). Cache prefixes: every web process
shares one Redis database, so two features writing under one prefix read each other's values.
Add yours here; tests/common/test_keys.py checks that all of them stay distinct.
"""

# Advisory locks (pg_advisory_lock / pg_advisory_xact_lock), one per job or critical section.
CATALOGUE_WRITE_LOCK = 7_311_001
INGEST_LOCK = 7_311_002
TRAINING_LOCK = 7_311_003
EMBED_LOCK = 7_311_004
NEWSLETTER_START_LOCK = 7_311_010
# Two-key locks (class, row id): the first key names the class. PostgreSQL keeps the two-key space
# apart from the one-key space, so only classes are compared with each other.
INGEST_RUN_ALIVE_LOCK = 7_311_101

# Cache key prefixes. A key is PREFIX + ":" + its own part, so no prefix may start another.
EMBEDDING_COVERAGE_CACHE = "embedding-coverage"
SEARCH_CATEGORIES_CACHE = "search-categories"
LOGIN_FAILURES_IP_CACHE = "login-failures-ip"
LOGIN_FAILURES_ACCOUNT_CACHE = "login-failures-account"
SIGNUP_IP_CACHE = "signup-ip"
PASSWORD_RESET_IP_CACHE = "password-reset-ip"
PASSWORD_CHECK_CACHE = "password-check"
FOR_YOU_CACHE = "for-you"  # a reader's ranked archive, paged without repeats
GENERATION_CACHE = "generation"  # apps.common.generations: what a cached ranking was computed from
DIGEST_WEEK_CACHE = "digest-week"  # a reader's ranked week, picks and reasons
DIGEST_TRENDING_CACHE = "digest-trending"
DIGEST_NEIGHBOURS_CACHE = "digest-neighbours"
DIGEST_PROGRESS_CACHE = "digest-progress"  # how many papers have vectors, per serving generation
DIGEST_PAGE_CACHE = "digest-page"  # a reader's rendered digest page (apps.digests.page_cache)
DIGEST_CARD_PAPER_CACHE = "digest-card-paper"  # a paper's card head and abstract, the same for every reader
DIGEST_CARD_ACTIONS_CACHE = "digest-card-actions"  # a card's buttons in given states, with a CSRF placeholder
WORD_CLOUD_CACHE = "cloud-shown"  # a word cloud's image name and alt text, as pages show it
WORD_CLOUD_QUEUED_CACHE = "cloud-queued"  # a missing cloud's rebuild was queued (once a minute at most)


def lock_keys() -> dict[str, int]:
    return {name: value for name, value in globals().items() if name.endswith("_LOCK")}


def cache_prefixes() -> dict[str, str]:
    return {name: value for name, value in globals().items() if name.endswith("_CACHE")}


def cache_key(prefix: str, *parts: object) -> str:
    return ":".join([prefix, *map(str, parts)])
