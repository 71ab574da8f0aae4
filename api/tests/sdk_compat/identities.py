"""Seeded random identities and traits that land on both sides of every segment condition.

Trait values mix the types SDKs send (strings, ints including ones past 32
bits, floats, bools, semver strings, numeric strings) and each trait is often
missing, so IS_SET/IS_NOT_SET and "missing means false" are exercised too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from tests.sdk_compat.configuration import OVERRIDDEN_IDENTIFIERS

SEED = 20260821
# Identities of the Python suite; the other suites reuse some of them.
IDENTITY_COUNT = 500
# JavaScript numbers are doubles: larger integers do not survive flagsmith-nodejs.
MAX_SAFE_JS_INTEGER = 2**53 - 1


@dataclass(frozen=True)
class GeneratedIdentity:
    identifier: str
    traits: dict[str, Any]

    @property
    def js_safe(self) -> bool:
        return all(
            not isinstance(value, int) or isinstance(value, bool) or abs(value) <= MAX_SAFE_JS_INTEGER
            for value in self.traits.values()
        )


def _float(rng: random.Random, low: float, high: float) -> float:
    # Never integral: a JSON 2.0 reaches JavaScript, and comes back, as the integer 2.
    return round(rng.uniform(low, high), 3) + 0.0005


def _trait_choices(rng: random.Random) -> dict[str, Any]:
    """One candidate value per trait key, of any type an SDK may send; the caller drops some."""
    return {
        "plan": rng.choice(["free", "pro", "enterprise", "team", "business", "Pro", "enterprise ", ""]),
        "logins": rng.choice([rng.randint(0, 300), 100, 99, str(rng.randint(0, 300)), _float(rng, 90, 110)]),
        "age": rng.choice([rng.randint(10, 80), 18, 21, 30, "21", 64, 65, _float(rng, 60, 70)]),
        "score": rng.choice([_float(rng, 0, 100), 90, 50, 51, "75.5", "90", rng.randint(0, 100), True]),
        "user_number": rng.choice([rng.randint(0, 1000), 3 * rng.randint(0, 300), "9", _float(rng, 0, 30), 0]),
        "email": _email(rng),
        "country": rng.choice(["US", "GB", "DE", "XX", "us", "FR"]),
        "org_id": rng.choice([rng.randint(1, 10_000), f"org-{rng.randint(1, 500)}", rng.randint(2**31, 2**40)]),
        "app_version": rng.choice(APP_VERSIONS),
        "is_admin": rng.choice([True, False, "true", "false", 1]),
        "big_number": rng.choice(
            [rng.randint(2**31, 2**40), rng.randint(0, 2**31), 3_000_000_000, 2**62 + rng.randint(0, 999), -(2**35)]
        ),
        "numeric_string": rng.choice(["42", "042", "42.0", "-7", "x42", "42"]),
        "ratio": rng.choice([_float(rng, 0, 1), 0, "0.1", _float(rng, -1, 0)]),
    }


def _portable_trait_choices(rng: random.Random) -> dict[str, Any]:
    """Traits whose meaning every engine port agrees on: each of the type its conditions expect.

    flagsmith-nodejs 8.1's local engine departs from Flagsmith's reference engine
    (flagsmith-flag-engine, used by the server and the Python SDK) in ways no
    server can change: it never matches PERCENTAGE_SPLIT on a trait property
    (only on ``$.`` paths), it compares numeric strings as strings (the reference
    engine reads ``"26"`` as 26), it compares an integer trait with a decimal
    condition value (the reference engine cannot cast ``"50.5"`` to int: no
    match), NOT_EQUAL ``"true"`` matches the number 1 (the reference engine:
    no match), and IN with a JSON array of numbers (``[18, 21, 30]``) never
    matches (it looks for the trait's text among numbers). So no org_id, no
    numeric strings, decimals only where conditions are decimal, booleans only
    where conditions are booleans, and no age in that array.
    """
    return {
        "plan": rng.choice(["free", "pro", "enterprise", "team", "business", "Pro", "enterprise ", ""]),
        "logins": rng.choice([rng.randint(0, 300), 100, 99, _float(rng, 90, 110)]),
        "age": rng.choice([rng.randint(31, 80), 17, 64, 65, _float(rng, 60, 70)]),
        "score": rng.choice([_float(rng, 0, 100), _float(rng, 45, 55), _float(rng, 85, 95)]),
        "user_number": rng.choice([rng.randint(0, 1000), 3 * rng.randint(0, 300), _float(rng, 0, 30), 0]),
        "email": _email(rng),
        "country": rng.choice(["US", "GB", "DE", "XX", "us", "FR"]),
        "app_version": rng.choice(APP_VERSIONS),
        "is_admin": rng.choice([True, False, "true", "false"]),
        "big_number": rng.choice([rng.randint(2**31, 2**40), rng.randint(0, 2**31), 3_000_000_000, -(2**35)]),
        "numeric_string": rng.choice(["42", "-7", "x42"]),
        "ratio": rng.choice([_float(rng, 0, 1), _float(rng, -1, 0)]),
    }


APP_VERSIONS = (
    "1.4.2",
    "1.5.0",
    "1.5.0-beta",
    "1.9.9",
    "2.0.0",
    "2.1.0",
    "2.5.3-beta.1",
    "2.10.1",
    "3.0.0",
    "10.0.0",
    "not-a-version",
    "2.1",
)


def _email(rng: random.Random) -> str:
    first, last = rng.choice(["john", "ana", "li", "tester", "noreply"]), rng.choice(["smith", "ng", "o"])
    return rng.choice(
        [
            f"{first}@example.com",
            f"{first}.{last}@corp.test",
            f"{first}.{last}@corp.test.uk",
            f"{first}@EXAMPLE.com",
            f"{first}{last}@corp.test",
            "noreply@example.com",
        ]
    )


def generate_identities(
    count: int, *, seed: int = SEED, prefix: str = "user", portable: bool = False
) -> list[GeneratedIdentity]:
    """``count`` identities: the overridden identifiers first, then ``<prefix>-<n>`` and a few odd ones.

    ``portable`` keeps to traits every SDK's local engine reads alike (see ``_portable_trait_choices``);
    the overridden identifiers always get portable traits, so every SDK suite can share them.
    """
    rng = random.Random(seed)
    identifiers = list(OVERRIDDEN_IDENTIFIERS) if prefix == "user" else []
    while len(identifiers) < count:
        n = len(identifiers)
        identifiers.append(
            rng.choice(
                [
                    f"{prefix}-{n}",
                    f"{prefix}-{n}",
                    f"{prefix}-{n}",
                    f"{prefix}.{n}@mail.example",
                    f"{prefix}_{n}_{rng.getrandbits(32):08x}",
                ]
            )
        )
    identities = []
    for identifier in identifiers:
        if portable or identifier in OVERRIDDEN_IDENTIFIERS:
            choices = _portable_trait_choices(rng)
        else:
            choices = _trait_choices(rng)
        presence = rng.choice([0.3, 0.7, 0.9])
        traits = {key: value for key, value in choices.items() if rng.random() < presence}
        identities.append(GeneratedIdentity(identifier=identifier, traits=traits))
    return identities
