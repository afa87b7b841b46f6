"""The accounts API: search and one account, personal data masked."""

from __future__ import annotations

from datetime import date

from django.http import Http404, HttpRequest
from ninja import Field, P, PathEx, Query, Router, Schema

from gridcare.customers import queries
from gridcare.customers.masking import mask_id_number, mask_mobile
from gridcare.customers.models import Account
from gridcare.identity.api_auth import api_access, api_caller, error_responses
from gridcare.identity.integrations import ApiScope
from gridcare.identity.permissions import Permission

router = Router(tags=["accounts"])

#: A 户号: ten digits.
ACCOUNT_NUMBER_PATTERN = r"^[0-9]{10}$"
#: Text without control characters (PostgreSQL refuses NUL in strings).
PLAIN_TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"
MAX_PAGE = 10_000
MAX_PAGE_SIZE = 100


class PageQuery(Schema):
    """Which page of a list: 1-based ``page`` of ``page_size`` items."""

    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(25, ge=1, le=MAX_PAGE_SIZE)

    @property
    def bounds(self) -> tuple[int, int]:
        """The slice [start, stop) of the page."""
        start = (self.page - 1) * self.page_size
        return start, start + self.page_size


class AccountSearchQuery(PageQuery):
    q: str = Field("", max_length=100, pattern=PLAIN_TEXT_PATTERN, description="Search text")


class OrgUnitOut(Schema):
    code: str
    name: str


class AccountSummaryOut(Schema):
    account_no: str
    name: str
    customer_name: str
    service_address: str
    usage_category: str
    status: str
    org_unit: OrgUnitOut


class AccountPageOut(Schema):
    items: list[AccountSummaryOut]
    count: int
    page: int
    page_size: int


class CustomerOut(Schema):
    customer_no: str
    kind: str
    name: str
    id_number_masked: str | None = Field(description="身份证号, masked: 110101********1234")
    credit_code: str | None = Field(description="统一社会信用代码 of an enterprise (not personal data)")


class ContactOut(Schema):
    name: str
    is_primary: bool
    mobile_masked: str


class AccountOut(AccountSummaryOut):
    customer: CustomerOut
    contacts: list[ContactOut]
    voltage_level: str
    contract_capacity_kva: str = Field(description="Decimal as text, e.g. 8.00")
    tariff_code: str
    payment_method: str
    reading_day: int
    status_effective_date: date
    opened_date: date
    is_key_account: bool


def _summary(account: Account) -> dict[str, object]:
    return {
        "account_no": account.account_no,
        "name": account.name,
        "customer_name": account.customer.name,
        "service_address": account.service_address,
        "usage_category": account.usage_category,
        "status": account.status,
        "org_unit": {"code": account.org_unit.code, "name": account.org_unit.name},
    }


def find_account(request: HttpRequest, account_no: str) -> Account:
    """The caller's account ``account_no``, or 404 (also outside the caller's org units)."""
    try:
        return queries.get_account(user=api_caller(request).user, account_no=account_no)
    except Account.DoesNotExist:
        raise Http404(account_no) from None


@router.get(
    "/",
    response={200: AccountPageOut, **error_responses()},
    auth=api_access(permission=Permission.VIEW_CUSTOMERS, scope=ApiScope.ACCOUNTS_READ),
    summary="Search accounts",
)
def search_accounts(request: HttpRequest, filters: Query[AccountSearchQuery]) -> dict[str, object]:
    """Accounts in the caller's org units matching ``q`` (户号 or mobile prefix, or part of a
    name or address; all for blank), ordered by 户号."""
    accounts = queries.search_accounts(user=api_caller(request).user, text=filters.q)
    start, stop = filters.bounds
    return {
        "items": [_summary(account) for account in accounts[start:stop]],
        "count": accounts.count(),
        "page": filters.page,
        "page_size": filters.page_size,
    }


@router.get(
    "/{account_no}",
    response={200: AccountOut, **error_responses()},
    auth=api_access(permission=Permission.VIEW_CUSTOMERS, scope=ApiScope.ACCOUNTS_READ),
    summary="One account",
)
def account_detail(
    request: HttpRequest, account_no: PathEx[str, P(pattern=ACCOUNT_NUMBER_PATTERN)]
) -> dict[str, object]:
    """The account with its customer and contacts; ID numbers and mobiles masked."""
    account = find_account(request, account_no)
    customer = account.customer
    contacts = queries.customer_contacts(user=api_caller(request).user, customer=customer)
    return {
        **_summary(account),
        "customer": {
            "customer_no": customer.customer_no,
            "kind": customer.kind,
            "name": customer.name,
            "id_number_masked": mask_id_number(customer.id_number) if customer.id_number else None,
            "credit_code": customer.credit_code,
        },
        "contacts": [
            {
                "name": contact.name,
                "is_primary": contact.is_primary,
                "mobile_masked": mask_mobile(contact.mobile),
            }
            for contact in contacts
        ],
        "voltage_level": account.voltage_level,
        "contract_capacity_kva": str(account.contract_capacity_kva),
        "tariff_code": account.tariff_code,
        "payment_method": account.payment_method,
        "reading_day": account.reading_day,
        "status_effective_date": account.status_effective_date,
        "opened_date": account.opened_date,
        "is_key_account": account.is_key_account,
    }
