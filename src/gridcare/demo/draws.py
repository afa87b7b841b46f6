"""Seeded random draws for the seeder, named for what it needs and cheap.

Each draw is one call of the C-implemented ``random()``: ``randint`` and ``choice`` cost several
times more, which adds up over a million accounts. The same seed and stream name always give
the same draws (``random.Random`` seeds a string through SHA-512, independent of hash
randomization).
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Weighted(Generic[T]):
    """Values with relative weights, prepared for :meth:`Draws.weighted`."""

    values: tuple[T, ...]
    cumulative: tuple[float, ...]

    @classmethod
    def of(cls, pairs: Sequence[tuple[T, float]]) -> Weighted[T]:
        """From ``(value, weight)`` pairs."""
        total = sum(weight for _value, weight in pairs)
        cumulative = tuple(running / total for running in accumulate(weight for _value, weight in pairs))
        return cls(values=tuple(value for value, _weight in pairs), cumulative=cumulative)


class Draws:
    """One named stream of draws of a seeded run."""

    def __init__(self, *, seed: int, stream: str) -> None:
        generator = random.Random(f"{seed}/{stream}")  # noqa: S311 - synthetic demo data, not secrets  # nosec B311
        self.fraction = generator.random
        self.uniform = generator.uniform
        self.lognormal = generator.lognormvariate
        self.shuffle = generator.shuffle
        self.bits = generator.getrandbits

    def pick(self, choices: Sequence[T]) -> T:
        """One of ``choices``, each equally likely."""
        return choices[int(self.fraction() * len(choices))]

    def integer(self, low: int, high: int) -> int:
        """A whole number from ``low`` to ``high``, both included."""
        return low + int(self.fraction() * (high - low + 1))

    def chance(self, probability: float) -> bool:
        """True with ``probability``."""
        return self.fraction() < probability

    def weighted(self, choices: Weighted[T]) -> T:
        """One of the values, as likely as its weight."""
        return choices.values[min(bisect_right(choices.cumulative, self.fraction()), len(choices.values) - 1)]
