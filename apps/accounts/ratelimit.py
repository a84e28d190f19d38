"""Throttling in the shared cache: failed log-ins per client IP and per account, wrong current passwords
per signed-in account (deleting the account, changing the password: a borrowed session must not make
them a password oracle), and sign-ups and password-reset requests per client IP (each mails or creates
something, so each is worth abusing).

Fixed windows: a counter starts at the first hit and expires its window's seconds later.
"""

import hashlib
import logging

import redis
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from apps.accounts.emails import normalized_email
from apps.common.keys import (
    LOGIN_FAILURES_ACCOUNT_CACHE,
    LOGIN_FAILURES_IP_CACHE,
    PASSWORD_CHECK_CACHE,
    cache_key,
)

LOGIN_FAILURE_LIMIT = 5
LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60
LOGIN_RATE_LIMITED = "Too many failed log-in attempts. Wait 15 minutes and try again, or reset your password."

PASSWORD_CHECK_LIMIT = 5
PASSWORD_CHECK_WINDOW_SECONDS = 15 * 60
TOO_MANY_PASSWORD_CHECKS = "Too many wrong passwords. Wait 15 minutes and try again."

SIGNUP_LIMIT = 10
PASSWORD_RESET_LIMIT = 5
PER_IP_WINDOW_SECONDS = 60 * 60
TOO_MANY_SIGNUPS = "Too many accounts were created from your network in the last hour. Please try again later."
TOO_MANY_RESETS = "Too many password-reset requests from your network in the last hour. Please try again later."

logger = logging.getLogger(__name__)
# A cache outage must not lock every reader out: the limit then fails open, loudly.
CACHE_ERRORS = (redis.exceptions.RedisError, OSError)


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or with TRUSTED_PROXY_COUNT proxies in front, the address the outermost one saw."""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and len(forwarded) >= proxies:
        # Entries left of the ones our proxies appended are whatever the client chose to send.
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or "unknown"


def _account_key(email: str) -> str:
    # Hashed so no address ends up in Redis in clear, and any length or character makes a valid key.
    # The same normalisation as the account lookup: every spelling that reaches an account shares its count.
    return cache_key(LOGIN_FAILURES_ACCOUNT_CACHE, hashlib.sha256(normalized_email(email).encode()).hexdigest())


def _keys(*, ip: str, email: str) -> list[str]:
    return [cache_key(LOGIN_FAILURES_IP_CACHE, hashlib.sha256(ip.encode()).hexdigest()), _account_key(email)]


def login_is_blocked(*, ip: str, email: str) -> bool:
    try:
        counts = cache.get_many(_keys(ip=ip, email=email))
    except CACHE_ERRORS:
        logger.exception("Login rate limit unavailable: the cache does not answer")
        return False
    return any(count >= LOGIN_FAILURE_LIMIT for count in counts.values())


def _count(key: str, window: int) -> int:
    """One more hit on `key` in its window; returns the count so far."""
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)  # keeps the expiry that add set
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def login_failure_record(*, ip: str, email: str) -> None:
    try:
        for key in _keys(ip=ip, email=email):
            _count(key, LOGIN_FAILURE_WINDOW_SECONDS)
    except CACHE_ERRORS:
        logger.exception("Login rate limit unavailable: the cache does not answer")


def attempt_allowed(*, scope: str, ip: str, limit: int, window: int = PER_IP_WINDOW_SECONDS) -> bool:
    """Count this attempt from `ip`; False once more than `limit` fall in the window (fails open)."""
    try:
        return _count(cache_key(scope, hashlib.sha256(ip.encode()).hexdigest()), window) <= limit
    except CACHE_ERRORS:
        logger.exception("Rate limit %s unavailable: the cache does not answer", scope)
        return True


def login_failures_clear(*, email: str) -> None:
    """The account starts afresh; the address keeps its count, or logging in to one's own account would reset it."""
    try:
        cache.delete(_account_key(email))
    except CACHE_ERRORS:
        logger.exception("Login rate limit unavailable: the cache does not answer")


def password_check_blocked(*, user_id: int) -> bool:
    try:
        return (cache.get(cache_key(PASSWORD_CHECK_CACHE, user_id)) or 0) >= PASSWORD_CHECK_LIMIT
    except CACHE_ERRORS:
        logger.exception("Password check limit unavailable: the cache does not answer")
        return False


def password_check_failed(*, user_id: int) -> None:
    try:
        _count(cache_key(PASSWORD_CHECK_CACHE, user_id), PASSWORD_CHECK_WINDOW_SECONDS)
    except CACHE_ERRORS:
        logger.exception("Password check limit unavailable: the cache does not answer")
