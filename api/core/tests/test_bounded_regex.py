"""REGEX conditions run in bounded time with the answers of the engine's ``re.compile(p).match(v)``."""

from __future__ import annotations

import re
import time

import pytest
from flag_engine.engine import get_evaluation_result
from flag_engine.segments import constants as engine_constants
from flag_engine.segments import evaluator as engine_evaluator
from hypothesis import HealthCheck, given, settings, strategies
from hypothesis import settings as hypothesis_settings

from core import bounded_regex
from documents import evaluation
from tests.conformance.cases import load_cases

# The engine's own matcher, as flagsmith-flag-engine ships it.
ENGINE_REGEX = engine_evaluator._evaluate_regex


def reference(pattern: str, value: str) -> bool:
    return re.compile(pattern).match(value) is not None


# --- Same answers ----------------------------------------------------------------------------


def test_engine__regex_operator__runs_through_bounded_matcher() -> None:
    assert engine_evaluator.MATCHERS_BY_OPERATOR[engine_constants.REGEX] is evaluation.regex_matches


def test_conformance_cases__bounded_matcher__same_results_as_engine_re(monkeypatch) -> None:
    cases = list(load_cases())
    regex_cases = [case for case in cases if '"REGEX"' in str(case.context).replace("'", '"')]
    assert regex_cases, "the conformance data has REGEX cases"
    for case in cases:
        monkeypatch.setitem(engine_evaluator.MATCHERS_BY_OPERATOR, engine_constants.REGEX, ENGINE_REGEX)
        expected = get_evaluation_result(case.context)
        monkeypatch.setitem(engine_evaluator.MATCHERS_BY_OPERATOR, engine_constants.REGEX, evaluation.regex_matches)
        assert get_evaluation_result(case.context) == expected, case.name


@pytest.mark.parametrize(
    ("pattern", "value"),
    [
        (r"^a$", "a\n"),  # $ before a final newline: re matches, RE2 alone would not
        (r"^a$", "a\n\n"),
        (r"(a|b$)", "b\n"),
        (r"a$\n", "a\n"),  # something after the $ takes the newline
        (r"a$|b", "a\n"),
        (r"(?m)^a$", "a\nb\n"),
        (r"\w+", "é"),  # Unicode \w in re
        (r"\d", "٣"),  # Arabic-Indic digit
        (r"\s", "\x0b"),  # re's \s has \v, RE2's not
        (r"(?i)k", "\u212a"),  # Kelvin sign folds to k in re
        (r"(?i)straße", "STRASSE"),
        (r"(?i)i", "\u0130"),  # Turkish İ folds differently in RE2
        (r"(?i)\u0131", "I"),
        (r"(?i)[a-z]+", "\u212a\u017f"),  # Kelvin sign and long s fold into a-z
        (r"[[:alpha:]]", "a"),  # a character set in re, a POSIX class in RE2
        (r"[[:alpha:]]", ":"),
        (r"a{,3}b", "aab"),  # {0,3} in re, a literal in RE2
        (r"a{,3}b", "a{,3}b"),
        (r"b", "ab"),  # match is anchored at the start
        (r"", "anything"),
        (r"(?=a)a", "a"),  # lookahead: re only
        (r"(a)\1", "aa"),  # backreference: re only
        (r"\Z", ""),
        (r".", "\ud800"),  # a lone surrogate (JSON can carry one)
        (r"True", "True"),
        (r"^[0-9]+\.[0-9]+$", "1.5"),
    ],
)
def test_match__constructs_re_and_re2_differ_on__same_as_re(pattern, value) -> None:
    assert bounded_regex.match(pattern, value) is reference(pattern, value)


@pytest.mark.parametrize(
    ("pattern", "value", "answer"),
    [(r"\s", "\x1c", False), (r"\w", "\u0300", True), (r"(?i)i", "\u0131", False), (r"(?i)I", "\u0130", False)],
)
def test_match__unicode_details_the_sdks_disagree_on__documented_answer(pattern, value, answer) -> None:
    """Python's re differs here from regex (the fallback) and from the other SDKs' engines."""
    assert bounded_regex.match(pattern, value) is answer


def test_match__invalid_pattern__raises_as_engine_does() -> None:
    with pytest.raises(re.error):
        bounded_regex.match("(", "x")


def test_regex_matches__non_string_trait__matched_as_its_str_like_engine() -> None:
    for pattern, value in [("True", True), (r"^1\.5$", 1.5), ("^42$", 42), ("x", None)]:
        assert evaluation.regex_matches(pattern, value) is ENGINE_REGEX(pattern, value)


ATOMS = [
    "[[:alpha:]]",
    "a",
    "b",
    "A",
    "é",
    "ß",
    ".",
    r"\d",
    r"\w",
    r"\s",
    r"\b",
    r"\W",
    "[a-c]",
    "[^a]",
    "[é-ü]",
    r"\n",
    r"\.",
    "_",
]
# Without the Turkish U+0130 and U+0131, whose folding the fallback reads differently (documented above).
ALPHABET = [
    "i",
    "I",
    "a",
    "b",
    "A",
    "B",
    "é",
    "ß",
    "\u017f",
    "\u212a",
    "k",
    "1",
    "٣",
    "_",
    " ",
    "\n",
    "\x0b",
    ".",
    "-",
    "!",
    ":",
    "[",
]


@strategies.composite
def patterns(draw) -> str:
    def node(depth: int) -> str:
        kind = draw(
            strategies.sampled_from(["atom", "atom", "seq", "alt", "group", "repeat"] if depth < 3 else ["atom"])
        )
        if kind == "atom":
            return draw(strategies.sampled_from(ATOMS))
        if kind == "seq":
            return node(depth + 1) + node(depth + 1)
        if kind == "alt":
            return node(depth + 1) + "|" + node(depth + 1)
        if kind == "group":
            return draw(strategies.sampled_from(["(", "(?:"])) + node(depth + 1) + ")"
        inner = node(depth + 1)
        return f"(?:{inner})" + draw(strategies.sampled_from(["*", "+", "?", "*?", "+?", "{2}", "{1,3}", "{2,}"]))

    body = node(0)
    prefix = draw(strategies.sampled_from(["", "", "^", "(?i)", "(?s)", "(?m)"]))
    suffix = draw(strategies.sampled_from(["", "", "$", "$", r"\b", r"$\n", r"$|a"]))
    return prefix + body + suffix


@hypothesis_settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pattern=patterns(), value=strategies.text(alphabet=strategies.sampled_from(ALPHABET), max_size=12))
def test_match__random_patterns_and_values__same_as_re(pattern, value) -> None:
    assert bounded_regex.match(pattern, value) is reference(pattern, value), (pattern, value)


@settings(max_examples=500, deadline=None)
@given(pattern=patterns(), value=strategies.text(alphabet=strategies.sampled_from(ALPHABET), max_size=12))
def test_fallback__random_patterns_and_values__same_as_re(pattern, value) -> None:
    """Where RE2 is not used, the ``regex`` package answers; it must agree with re too."""
    fallback = bounded_regex.plan(pattern).fallback
    assert (fallback.match(value, timeout=1) is not None) is reference(pattern, value), (pattern, value)


# --- Bounded time ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "a" * 26 + "!",  # 4.4 s with re
        "a" * 1999 + "!",  # ASCII: RE2
        "a" * 1998 + "é!",  # non-ASCII: still RE2 (the pattern has no Unicode-dependent class)
        "a" * 1999 + "\n",  # a final newline with $: the regex fallback with its timeout
    ],
)
@pytest.mark.parametrize("pattern", [r"^(a+)+$", r"^(a|aa)+$", r"^(\w+\s?)*$", r"(?i)^(a+)+$"])
def test_match__catastrophic_pattern_max_length_trait__under_50ms(pattern, value) -> None:
    started = time.perf_counter()
    bounded_regex.match(pattern, value)
    assert time.perf_counter() - started < 0.05


def test_match__fallback_times_out__no_match_and_warning(caplog, settings) -> None:
    settings.REGEX_TIMEOUT_SECONDS = 0.01
    pattern = r"^(?=a)(a|aa)+$"  # a lookahead: only the fallback runs it
    started = time.perf_counter()
    assert bounded_regex.match(pattern, "a" * 2000 + "!") is False
    assert time.perf_counter() - started < 0.25  # re takes minutes; regex checks its clock now and then
    assert "treated as no match" in caplog.text


# --- Refused on write --------------------------------------------------------------------------


@pytest.mark.parametrize("pattern", [r"^(?=x)(a+)+$", r"(a|ab)*(?<=b)c", r"^((?!z)\w+)+$", r"(x+x+)+y\1"])
def test_refusal__only_re_runs_it_and_it_nests_repeats__refused(pattern) -> None:
    assert "exponential time" in bounded_regex.refusal(pattern)


@pytest.mark.parametrize("pattern", [r"^(a+)+$", r"^user[0-9]*[05]@", r"(?=a)abc", r"^.*@example\.com$", r"(a)\1"])
def test_refusal__re2_runs_it_or_no_nested_repeat__allowed(pattern) -> None:
    assert bounded_regex.refusal(pattern) is None


def test_refusal__invalid__says_so() -> None:
    assert bounded_regex.refusal("(").startswith("Not a valid regular expression")
