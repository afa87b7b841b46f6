"""Synthetic 身份证号 and 统一社会信用代码: valid for python-stdnum, and never repeated."""

from __future__ import annotations

from datetime import date

import pytest
from stdnum.cn import ric, uscc

from gridcare.demo.catalog import (
    ENTERPRISE_REGION_CODES,
    RESIDENT_REGION_CODES_FROM_1991,
    RESIDENT_REGION_CODES_UNTIL_1990,
)
from gridcare.demo.identifiers import (
    AffinePermutation,
    CreditCodes,
    ResidentIdNumbers,
    credit_code_check_character,
    organization_code_check_character,
    resident_id_check_character,
)


def test_resident_id_check_character_matches_published_numbers() -> None:
    # Examples from GB 11643 documentation and python-stdnum's own doctest.
    assert resident_id_check_character("11010519491231002") == "X"
    assert resident_id_check_character("36042619910101007") == "1"
    for body in ("37010219900215234", "44030719821231001", "00000000000000000"):
        assert resident_id_check_character(body) == ric.calc_check_digit(body + "0")


def test_credit_code_and_organization_code_check_characters() -> None:
    assert credit_code_check_character("91110000600037341") == "L"
    assert credit_code_check_character("91350100M000100Y4") == uscc.calc_check_digit("91350100M000100Y4")
    # The organization code inside the published credit code 91110000600037341L is 60003734-1.
    assert organization_code_check_character("60003734") == "1"
    # D=13: 13·3 + 2·7 + 1·9 + 4·10 + 3·5 + 5·8 + 6·4 + 9·2 = 199 ≡ 1 (mod 11), so 11 − 1 = 10 → X.
    assert organization_code_check_character("D2143569") == "X"
    assert organization_code_check_character("00000000") == "0"


@pytest.mark.parametrize("body", ["1234567890123456", "1234567890123456X"])
def test_check_characters_refuse_malformed_bodies(body: str) -> None:
    with pytest.raises(ValueError, match="resident ID body"):
        resident_id_check_character(body)


def test_affine_permutation_is_a_bijection() -> None:
    permutation = AffinePermutation.from_draws(size=1000, multiplier_draw=250, offset_draw=12345)
    assert permutation.multiplier == 251
    assert sorted(permutation(index) for index in range(1000)) == list(range(1000))
    with pytest.raises(ValueError, match="not coprime"):
        AffinePermutation(size=1000, multiplier=250, offset=0)
    with pytest.raises(ValueError, match="outside the permutation"):
        permutation(1000)


def _resident_ids(multiplier_draw: int = 987654321, offset_draw: int = 123456789) -> ResidentIdNumbers:
    return ResidentIdNumbers(
        first_birth_date=date(1945, 1, 1),
        last_birth_date=date(2004, 12, 31),
        region_codes_by_band=(
            (date(1945, 1, 1), RESIDENT_REGION_CODES_UNTIL_1990),
            (date(1991, 1, 1), RESIDENT_REGION_CODES_FROM_1991),
        ),
        multiplier_draw=multiplier_draw,
        offset_draw=offset_draw,
    )


def test_resident_id_numbers_are_valid_distinct_and_dated_in_range() -> None:
    numbers = _resident_ids()
    assert numbers.capacity == 21915 * 6 * 1000
    issued = [numbers.number(index) for index in range(20000)]
    assert len(set(issued)) == 20000
    for number in issued:
        assert ric.validate(number) == number
        assert date(1945, 1, 1) <= ric.get_birth_date(number) <= date(2004, 12, 31)


@pytest.mark.parametrize("birth_year", [1945, 1990, 1991, 2004])
def test_every_region_code_is_valid_for_the_edges_of_its_band(birth_year: int) -> None:
    codes = RESIDENT_REGION_CODES_UNTIL_1990 if birth_year <= 1990 else RESIDENT_REGION_CODES_FROM_1991
    for code in codes:
        for birthday in (date(birth_year, 1, 1), date(birth_year, 12, 31)):
            body = f"{code}{birthday:%Y%m%d}001"
            assert ric.is_valid(body + resident_id_check_character(body))


def test_credit_codes_are_valid_and_distinct() -> None:
    codes = CreditCodes(multiplier_draw=55555, offset_draw=77777)
    issued = [
        codes.code(index, region_code=ENTERPRISE_REGION_CODES[index % 6], entity_type="12"[index % 2])
        for index in range(20000)
    ]
    assert len(set(issued)) == 20000
    for code in issued:
        assert uscc.validate(code) == code
        assert code[:2] in ("91", "92")
        assert code[16] == organization_code_check_character(code[8:16])
