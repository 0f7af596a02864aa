"""Keeping secrets out of text we show: log records, URLs, error messages and echoed bodies.

Credentials register their secrets here (:func:`register_secret`) the moment they see them, so
every secret is hidden wherever it turns up -- even inside a body the server echoes back, where no
URL or header pattern would catch it. Three layers use this module:

* log records, through :class:`SecretRedactingFilter` on httpx's and httpcore's loggers and on
  every ``jumpseller_async`` logger (:func:`get_logger`, :func:`install_log_redaction`);
* URLs stored in errors and log lines (:func:`redact_url`);
* bodies kept in errors (:func:`redact_data` for decoded JSON, :func:`redact_bytes` for raw content).
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus

import httpx

__all__ = [
    "LOGGERS_TO_REDACT",
    "OUR_LOGGER",
    "REDACTED",
    "SECRET_QUERY_PARAMS",
    "SecretRedactingFilter",
    "get_logger",
    "install_log_redaction",
    "redact_bytes",
    "redact_data",
    "redact_secrets",
    "redact_text",
    "redact_url",
    "register_secret",
    "registered_secrets",
]

SECRET_QUERY_PARAMS = frozenset(
    {
        "authtoken",
        "auth_token",
        "access_token",
        "refresh_token",
        "client_secret",
        "code",
        "token",
        "password",
    }
)

REDACTED = "***"

# The root of every logger this package creates.
OUR_LOGGER = "jumpseller_async"

# Every logger httpx 0.28 / httpcore 1.0 log through. A filter attached to a logger only sees
# records created on that very logger (not those propagating from children), so each child
# httpcore uses has to be listed.
LOGGERS_TO_REDACT = (
    OUR_LOGGER,
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)


# --------------------------------------------------------------------------- registered secrets

_secrets_lock = threading.Lock()
_registered_secrets: set[str] = set()
_registered_bytes: tuple[bytes, ...] = ()


def _variants(secret: str) -> set[str]:
    # A token with reserved characters shows up percent-encoded in URLs and form bodies.
    return {secret, quote(secret, safe=""), quote_plus(secret, safe="")}


MIN_SECRET_LENGTH = 4
"""Shorter values are not hidden in free text: a one-letter "token" (a test's placeholder) would
mask that letter in every later log line of the process. Query credentials are hidden by name in
URLs whatever their length; real tokens are 32 characters."""


def register_secret(value: str | None) -> None:
    """Remember ``value`` so :func:`redact_secrets` and the log filter hide it everywhere."""
    global _registered_bytes
    if not value or len(value) < MIN_SECRET_LENGTH:
        return
    with _secrets_lock:
        _registered_secrets.update(_variants(value))
        # Longest first, so a secret that contains another is not left half-redacted.
        ordered = sorted(_registered_secrets, key=len, reverse=True)
        _registered_bytes = tuple(s.encode("utf-8", "surrogatepass") for s in ordered)


def registered_secrets() -> tuple[str, ...]:
    """Every registered secret and its URL-encoded forms."""
    with _secrets_lock:
        return tuple(_registered_secrets)


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of each of ``secrets`` (and its URL-encoded forms) with ``***``."""
    candidates: set[str] = set()
    for secret in secrets:
        if secret:
            candidates.update(_variants(secret))
    # Longest first, so a secret that contains another is not left half-redacted.
    for secret in sorted(candidates, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redact_bytes(content: bytes) -> bytes:
    """Raw content with every registered secret (and its URL-encoded forms) replaced by ``***``."""
    for secret in _registered_bytes:
        if secret in content:
            content = content.replace(secret, REDACTED.encode())
    return content


def redact_data(value: Any) -> Any:
    """A copy of decoded JSON with every registered secret hidden in its strings and keys.

    Iterative, not recursive: a body nested as deep as the decoder allows must not exhaust the
    stack here.
    """
    secrets = registered_secrets()
    if not secrets:
        return value

    def clean(text: str) -> str:
        return redact_text(text, secrets) if any(s in text for s in secrets) else text

    def copy_of(node: Any) -> Any:
        if isinstance(node, dict):
            return {}
        if isinstance(node, list):
            return []
        return clean(node) if isinstance(node, str) else node

    root = copy_of(value)
    stack = [(value, root)]
    while stack:
        source, target = stack.pop()
        if isinstance(source, dict):
            for key, child in source.items():
                copied = copy_of(child)
                target[clean(key) if isinstance(key, str) else key] = copied
                if isinstance(child, (dict, list)):
                    stack.append((child, copied))
        elif isinstance(source, list):
            for child in source:
                copied = copy_of(child)
                target.append(copied)
                if isinstance(child, (dict, list)):
                    stack.append((child, copied))
    return root


# --------------------------------------------------------------------------- patterns

_PARAM_NAMES = "|".join(sorted((re.escape(n) for n in SECRET_QUERY_PARAMS), key=len, reverse=True))

# A secret parameter inside free text: after ``?`` or ``&``, or their encoded forms when a URL is
# nested in another URL's query. The value stops where a URL in a log line would end.
_QUERY_PARAM = (
    rf"(?P<prefix>(?:[?&]|%3F|%26)(?:{_PARAM_NAMES})(?:=|%3D))(?P<value>(?:(?!%26)[^&#\s'\"<>])+)"
)

# ``Authorization: Basic xxx``, ``(b'Authorization', b'Bearer xxx')``, ``{'authorization': 'xxx'}``.
_AUTH_HEADER = (
    r"(?P<prefix>\b(?:proxy-)?authorization\b['\"]?\s*[:=,]\s*b?['\"]?\s*"
    r"(?:(?:basic|bearer|token)\s+)?)(?P<value>[^'\"\s,)\]}]+)"
)

_BEARER = r"\b(?P<prefix>bearer\s+)(?P<value>[A-Za-z0-9\-._~+/]+=*)"

_USERINFO = r"^(?P<prefix>[A-Za-z][A-Za-z0-9+.\-]*://[^/?#@:]*:)(?P<value>[^/?#@]+)(?=@)"


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(query parameter, Authorization header, bearer, URL userinfo), compiled on first use:
    compiling them costs about a millisecond that importing the package need not pay."""
    return (
        re.compile(_QUERY_PARAM, re.IGNORECASE),
        re.compile(_AUTH_HEADER, re.IGNORECASE),
        re.compile(_BEARER, re.IGNORECASE),
        re.compile(_USERINFO),
    )


def _mask(match: re.Match[str]) -> str:
    return match.group("prefix") + REDACTED


def _redact_pairs(part: str) -> str:
    pairs = part.split("&")
    for index, pair in enumerate(pairs):
        name, equals, value = pair.partition("=")
        if equals and value and unquote_plus(name).lower() in SECRET_QUERY_PARAMS:
            pairs[index] = f"{name}={REDACTED}"
    return "&".join(pairs)


def redact_url(url: str | httpx.URL) -> str:
    """``url`` with the values of secret query parameters (and any password) replaced by ``***``.

    Parameter names, order, repeats and every other value are kept as they are.
    """
    query_param, _, _, userinfo = _patterns()
    text = str(url)
    before_fragment, hash_sign, fragment = text.partition("#")
    base, question_mark, query = before_fragment.partition("?")
    base = userinfo.sub(_mask, base)
    if question_mark:
        query = _redact_pairs(query)
    if hash_sign:
        # Implicit-grant style redirects carry tokens in the fragment.
        fragment = _redact_pairs(fragment)
    result = base + question_mark + query + hash_sign + fragment
    # URLs nested (encoded) in another parameter's value.
    return query_param.sub(_mask, result)


def redact_secrets(text: str) -> str:
    """Hide every registered secret, secret query value and Authorization/Bearer value in ``text``."""
    query_param, auth_header, bearer, _ = _patterns()
    text = redact_text(text, registered_secrets())
    text = query_param.sub(_mask, text)
    text = auth_header.sub(_mask, text)
    return bearer.sub(_mask, text)


# --------------------------------------------------------------------------- logging


class SecretRedactingFilter(logging.Filter):
    """Rewrites records so no credential survives; never drops a record.

    A changed record's message is stored fully formatted with ``args`` cleared: redacting only
    ``msg`` would miss secrets carried in ``args`` (httpx passes the URL as an argument).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            # A handler would print msg and args verbatim to stderr when formatting fails.
            message = f"{record.msg!s} args={record.args!r}"
        redacted = redact_secrets(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        if record.exc_info and not record.exc_text:
            # Formatters reuse a cached exc_text, so caching a redacted one keeps tracebacks clean.
            raw = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact_secrets(raw)
            if record.exc_text != raw:
                # A formatter that renders exc_info itself would bring the secret back.
                record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact_secrets(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_secrets(record.stack_info)
        return True


_log_filter = SecretRedactingFilter()


def _attach(logger: logging.Logger) -> None:
    # addFilter ignores a filter that is already attached.
    logger.addFilter(_log_filter)


def get_logger(name: str = OUR_LOGGER) -> logging.Logger:
    """A logger of this package, created with the redacting filter already attached.

    Every module of ours logs through this, so a logger first created after
    :func:`install_log_redaction` ran (a lazily imported module) is covered too.
    """
    if name != OUR_LOGGER and not name.startswith(OUR_LOGGER + "."):
        raise ValueError(f"{name!r} is not in the {OUR_LOGGER!r} logger tree")
    logger = logging.getLogger(name)
    _attach(logger)
    return logger


def install_log_redaction(extra: Iterable[str] = ()) -> None:
    """Attach the redacting filter to httpx's, httpcore's and every ``jumpseller_async`` logger.

    Safe to call repeatedly. ``extra`` names more loggers (the fake's uvicorn loggers).
    """
    for name in (*LOGGERS_TO_REDACT, *extra):
        _attach(logging.getLogger(name))
    # Loggers in our tree made with logging.getLogger directly (a caller's own child logger).
    for name, existing in list(logging.Logger.manager.loggerDict.items()):
        if isinstance(existing, logging.Logger) and name.startswith(OUR_LOGGER + "."):
            _attach(existing)
