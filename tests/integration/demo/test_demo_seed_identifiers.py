"""Every identifier the seed writes passes the validators the customer file uses."""

from __future__ import annotations

from gridcare.customers.models import Account, Contact, Customer, CustomerKind
from gridcare.customers.validators import (
    validate_credit_code,
    validate_id_number,
    validate_industry_code,
    validate_mobile,
)
from gridcare.demo.operations import SeedSummary
from gridcare.kit.ids import validate_account_number


def test_every_person_has_a_valid_resident_id_number(seeded: SeedSummary) -> None:
    persons = Customer.objects.filter(kind=CustomerKind.PERSON)
    id_numbers = list(persons.values_list("id_number", flat=True))
    assert len(id_numbers) == persons.count() > 184
    assert len(set(id_numbers)) == len(id_numbers)
    for id_number in id_numbers:
        assert validate_id_number(id_number) == id_number
    assert not persons.exclude(credit_code=None).exists()


def test_every_enterprise_has_a_valid_credit_code(seeded: SeedSummary) -> None:
    enterprises = Customer.objects.filter(kind=CustomerKind.ENTERPRISE)
    credit_codes = list(enterprises.values_list("credit_code", flat=True))
    assert len(credit_codes) == enterprises.count() >= 11
    assert len(set(credit_codes)) == len(credit_codes)
    for credit_code in credit_codes:
        assert validate_credit_code(credit_code) == credit_code
        assert credit_code[:2] in ("91", "92", "93")
    assert not enterprises.exclude(id_number=None).exists()


def test_account_numbers_customer_numbers_mobiles_and_industry_codes_are_valid(seeded: SeedSummary) -> None:
    account_numbers = list(Account.objects.order_by("account_no").values_list("account_no", flat=True))
    assert len(account_numbers) == 200
    for account_no in account_numbers:
        assert validate_account_number(account_no) == account_no
    # The 户号 come from the account number sequence, starting after 370000000.
    assert [account_no[:9] for account_no in account_numbers] == [str(370000001 + n) for n in range(200)]
    customer_numbers = sorted(Customer.objects.values_list("customer_no", flat=True))
    assert customer_numbers == [f"C{370000001 + n}" for n in range(200)]
    for mobile in Contact.objects.values_list("mobile", flat=True):
        assert validate_mobile(mobile) == mobile
    for industry_code in Account.objects.exclude(industry_code="").values_list("industry_code", flat=True):
        assert validate_industry_code(industry_code) == industry_code
    assert not Account.objects.exclude(usage_category="residential").filter(industry_code="").exists()
