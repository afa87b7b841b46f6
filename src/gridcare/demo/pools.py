"""Pools of Chinese names, streets and company words drawn once from a seeded Faker.

Faker takes microseconds per name; a million customers would spend minutes in it. The seeder
draws a few thousand words here and combines them with its own seeded random generator.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from faker import Faker

_SURNAMES = 2000
_GIVEN_NAMES = 2000
_STREETS = 1200
_COMPANY_WORDS = 1200
_MANUFACTURERS = 6
_COMMUNITY_SUFFIXES = ("小区", "花园", "家园", "新村", "苑", "公寓")
_VILLAGE_SUFFIXES = ("村", "庄", "屯", "寨")


@dataclass(frozen=True)
class NamePools:
    """Word pools for composing customer names and addresses."""

    surnames: tuple[str, ...]
    given_names: tuple[str, ...]
    streets: tuple[str, ...]
    communities: tuple[str, ...]
    villages: tuple[str, ...]
    company_words: tuple[str, ...]
    manufacturers: tuple[str, ...]

    @classmethod
    def build(cls, *, seed: int) -> NamePools:
        """Draw the pools from ``Faker('zh_CN')`` seeded with ``seed``: same seed, same pools."""
        fake = Faker("zh_CN")
        fake.seed_instance(seed)
        surnames = tuple(fake.last_name() for _ in range(_SURNAMES))
        given_names = tuple(fake.first_name() for _ in range(_GIVEN_NAMES))
        streets = _distinct(
            street for street in (fake.street_name() for _ in range(_STREETS)) if len(street) >= 3
        )
        company_words = _distinct(
            word
            for word in (fake.company_prefix() for _ in range(_COMPANY_WORDS))
            if 2 <= len(word) <= 4 and "公司" not in word
        )
        distinct_surnames = _distinct(surnames)
        return cls(
            surnames=surnames,
            given_names=given_names,
            streets=streets,
            communities=tuple(
                street[:-1] + _COMMUNITY_SUFFIXES[position % len(_COMMUNITY_SUFFIXES)]
                for position, street in enumerate(streets)
            ),
            villages=tuple(
                f"{surname}家{suffix}" for surname in distinct_surnames for suffix in _VILLAGE_SUFFIXES
            ),
            company_words=company_words,
            manufacturers=tuple(f"{word}电气仪表有限公司" for word in company_words[:_MANUFACTURERS]),
        )


def _distinct(words: Iterable[str]) -> tuple[str, ...]:
    """The words in first-seen order without repeats."""
    return tuple(dict.fromkeys(words))
