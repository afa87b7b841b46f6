"""The same seed writes the same utility, whatever the chunk size; another seed another."""

from __future__ import annotations

from collections.abc import Callable

from gridcare.customers.models import Account


def test_same_seed_gives_identical_rows(digest_of_seed: Callable[..., str]) -> None:
    first = digest_of_seed()
    assert Account.objects.count() == 0
    assert digest_of_seed() == first
    assert digest_of_seed(chunk_size=1000) == first


def test_another_seed_gives_other_rows(digest_of_seed: Callable[..., str]) -> None:
    assert digest_of_seed(seed=8) != digest_of_seed(seed=7)


def test_generating_in_a_second_process_gives_the_same_rows(digest_of_seed: Callable[..., str]) -> None:
    assert digest_of_seed(generate_in_subprocess=True) == digest_of_seed(generate_in_subprocess=False)
