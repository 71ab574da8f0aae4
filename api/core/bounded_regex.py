"""Regular expressions run in bounded time, with the results of Python's ``re``.

Segment REGEX conditions (and a project's ``feature_name_regex``) are written by
users and matched against values any holder of a public client key sends. Python's
``re`` backtracks, so a pattern like ``^(a+)+$`` takes exponential time on
``"aaaa…!"``. Here a pattern runs on RE2 (``google-re2``: linear time) whenever RE2
gives the same answer as ``re.compile(pattern).match(value)``, the engine's
semantics; otherwise on the ``regex`` package (the same syntax and semantics as
``re``) with a timeout, after which the value counts as not matching.

RE2 agrees with ``re`` for a pattern both accept, except for a few constructs,
which decide when RE2 is not used:

- ``\\d \\w \\s \\b`` (and their negations) are Unicode in ``re`` and ASCII in RE2, and
  ``re``'s ``\\s`` also matches ``\\v`` and ``\\x1c``-``\\x1f``: such patterns use RE2
  only for ASCII values without those;
- case-insensitive matching folds the Turkish dotted and dotless i (U+0130,
  U+0131) differently: such patterns use RE2 only for values without them;
- ``$`` matches before a final newline in ``re``, not in RE2: where ``$`` is the
  pattern's last token (``^…$``), RE2 also tries the value without that newline;
  other patterns with ``$`` use RE2 only for values that do not end in ``\\n``;
- ``[:alpha:]``-style classes and ``{,n}`` mean different things: never RE2.

The fallback, ``regex``, has ``re``'s syntax and answers, except where the two read
Unicode differently: ``\\w``/``\\d`` follow a newer Unicode version, ``\\s`` does not
match ``\\x1c``-``\\x1f``, and the Turkish dotted and dotless i fold differently. Those
answers differ between the SDKs' own engines too (JavaScript, Go, Java).
The property tests in ``core/tests/test_bounded_regex.py`` check the equality.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass
from functools import lru_cache
from re import _parser as sre_parse  # type: ignore[attr-defined]  # the parser re itself uses
from typing import Any

import re2
import regex
from django.conf import settings

logger = logging.getLogger("banderole.regex")

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
_RE2_OPTIONS.max_mem = 8 << 20

# Constructs whose meaning differs between re and RE2 although both accept them.
_NEVER_RE2 = re.compile(r"\[:|\{,")
_CLASS_ESCAPES = re.compile(r"\\[dDwWsSbB]")
_IGNORECASE = re.compile(r"\(\?[a-zA-Z]*i")
# Characters re's \s matches and RE2's does not, among ASCII ones.
_ASCII_SPACE_GAP = re.compile(r"[\x0b\x1c-\x1f]")
# One "$", the pattern's last token but for closing groups: ``^…$``, ``(a|b$)``.
_DOLLAR_LAST = re.compile(r"[^$]*\$\)*")
# The only letters whose case-insensitive matching differs between re and RE2: U+0130 and U+0131.
_TURKISH_I = re.compile("[\u0130\u0131]")


@dataclass(frozen=True)
class Plan:
    """How one pattern is run: RE2 when it can, else ``regex`` with a timeout."""

    pattern: str
    fallback: Any
    re2: Any
    ascii_values_only: bool
    dollar: bool
    dollar_last: bool
    no_turkish_i: bool

    def re2_agrees(self, value: str) -> bool:
        if self.re2 is None:
            return False
        if self.dollar and value.endswith("\n") and not self.dollar_last:
            return False
        if self.no_turkish_i and _TURKISH_I.search(value) is not None:
            return False
        return not self.ascii_values_only or (value.isascii() and _ASCII_SPACE_GAP.search(value) is None)


@lru_cache(maxsize=2048)
def plan(pattern: str) -> Plan:
    """The plan for ``pattern``; raises ``re.error`` where ``re.compile`` would."""
    with warnings.catch_warnings():  # re's FutureWarnings ("possible nested set") are the author's to read
        warnings.simplefilter("ignore", FutureWarning)
        re.compile(pattern)  # the engine's own validity: an invalid pattern fails as it would there
    try:
        # "[:" starts a POSIX class in regex, not in re; an escaped colon means ":" to both.
        fallback = regex.compile(pattern.replace("[:", "[\\:"), flags=regex.VERSION0)
    except regex.error:  # re accepts what regex does not: run re itself (refused on write unless RE2 runs it)
        fallback = None
    compiled_re2 = None
    ascii_values_only = _CLASS_ESCAPES.search(pattern) is not None
    ignorecase = _IGNORECASE.search(pattern) is not None
    portable = _NEVER_RE2.search(pattern) is None and not (ignorecase and _TURKISH_I.search(pattern))
    if portable:
        try:
            compiled_re2 = re2.compile(pattern, options=_RE2_OPTIONS)
        except re2.error:
            compiled_re2 = None
    dollar_last = _DOLLAR_LAST.fullmatch(pattern) is not None
    return Plan(pattern, fallback, compiled_re2, ascii_values_only, "$" in pattern, dollar_last, ignorecase)


def runs_on_re2(pattern: str) -> bool:
    """Whether RE2 runs ``pattern`` (for values where it agrees with ``re``)."""
    return plan(pattern).re2 is not None


def match(pattern: str, value: str) -> bool:
    """``re.compile(pattern).match(value) is not None``, in bounded time.

    A value that would take the fallback longer than ``REGEX_TIMEOUT_SECONDS`` does not match.
    """
    compiled = plan(pattern)
    if compiled.re2_agrees(value):
        try:
            if compiled.re2.match(value) is not None:
                return True
            # re's "$" also matches before a final newline, RE2's only at the end. With the "$"
            # last, a match before that newline is a match of the value without it.
            return compiled.dollar and value.endswith("\n") and compiled.re2.match(value[:-1]) is not None
        except UnicodeEncodeError:  # a lone surrogate: RE2 takes UTF-8 only
            pass
    if compiled.fallback is None:
        return re.compile(pattern).match(value) is not None
    try:
        return compiled.fallback.match(value, timeout=settings.REGEX_TIMEOUT_SECONDS) is not None
    except TimeoutError:
        logger.warning(
            "Regular expression %r took over %ss on a %s-character value; treated as no match",
            pattern[:100],
            settings.REGEX_TIMEOUT_SECONDS,
            len(value),
        )
        return False


# --- Refusing patterns that backtrack -------------------------------------------------------------

_REPEATS = {sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT}
_UNBOUNDED = sre_parse.MAXREPEAT


def _items(node: Any) -> list[tuple[Any, Any]]:
    return list(node.data) if hasattr(node, "data") else list(node)


def _children(op: Any, av: Any) -> list[Any]:
    if op in _REPEATS or op == getattr(sre_parse, "POSSESSIVE_REPEAT", None):
        return [av[2]]
    if op == sre_parse.SUBPATTERN:
        return [av[3]]
    if op == sre_parse.BRANCH:
        return list(av[1])
    if op in (sre_parse.ASSERT, sre_parse.ASSERT_NOT):
        return [av[1]]
    if op == sre_parse.GROUPREF_EXISTS:
        return [branch for branch in av[1:] if branch is not None]
    if op == getattr(sre_parse, "ATOMIC_GROUP", None):
        return [av]
    return []


def _has_variable_repeat_or_branch(node: Any) -> bool:
    for op, av in _items(node):
        if op in _REPEATS and av[0] != av[1]:
            return True
        if op == sre_parse.BRANCH:
            return True
        if any(_has_variable_repeat_or_branch(child) for child in _children(op, av)):
            return True
    return False


def _backtracks(node: Any) -> bool:
    """A repeat of something that can itself match in several ways: ``(a+)+``, ``(a|ab)*``."""
    for op, av in _items(node):
        if op in _REPEATS and (av[1] == _UNBOUNDED or av[1] > 1) and _has_variable_repeat_or_branch(av[2]):
            return True
        if any(_backtracks(child) for child in _children(op, av)):
            return True
    return False


def refusal(pattern: str) -> str | None:
    """Why ``pattern`` may not be stored, or None: invalid for ``re``, or only ``re`` runs it and it backtracks."""
    try:
        re.compile(pattern)
        if runs_on_re2(pattern):
            return None
        parsed = sre_parse.parse(pattern)
    except (re.error, RecursionError, OverflowError, regex.error) as exc:
        return f"Not a valid regular expression: {exc}."
    if plan(pattern).fallback is None:
        return "This regular expression cannot be run with a time bound; rewrite it in simpler syntax."
    if _backtracks(parsed):
        return (
            "This regular expression nests repetitions in a way that can take exponential time, "
            "and uses syntax (lookarounds, backreferences and the like) that rules out a linear-time engine. "
            "Rewrite it without the nested repetition."
        )
    return None
