"""Who a notification about an account goes to: the account's :class:`Recipient` for the
notification service, filled from the customer file.

The contact notified is the customer's primary contact (``Contact.is_primary``, at most one per
customer); a customer with no primary contact is reached through its earliest recorded contact
(the lowest id), and a customer with no contact at all by letter only. Contacts belong to the
customer, so every account of a customer shares its contact's addresses and consents.

- mobile → SMS and MMS (consent: ``consents_to_sms`` covers both), e-mail → EMAIL
  (``consents_to_email``), WeChat openid → WECHAT (``consents_to_wechat``);
- LETTER, always consented (paper notices need no opt-in), to the account name on the first
  line and the customer's postal address on the second — or, for a customer without one, the
  account's service address (the premises the supply and its paper notices go to).

The data model records no language preference: every recipient is ``zh-hans``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from django.db.models import Prefetch, QuerySet

from gridcare.customers.models import Account, Contact
from gridcare.notifications.channels.base import ChannelKind
from gridcare.notifications.recipients import Recipient

#: The language of every customer recipient (the customer file records no preference).
RECIPIENT_LANGUAGE = "zh-hans"
#: Accounts read per database round trip by :func:`recipients_for_accounts`.
CHUNK_SIZE = 500
# Where the prefetched contacts of a customer are kept (on the customer).
_PREFETCHED_CONTACTS = "notification_contacts"


def recipient_key(*, account: Account) -> str:
    """The opaque key the notification service keeps an account's opt-outs under."""
    return f"account:{account.pk}"


def _contact_to_notify(contacts: Sequence[Contact]) -> Contact | None:
    primary = [contact for contact in contacts if contact.is_primary]
    if primary:
        return primary[0]
    return min(contacts, key=lambda contact: contact.pk, default=None)


def _letter_address(account: Account) -> str:
    address = account.customer.postal_address.strip() or account.service_address.strip()
    return f"{account.name}\n{address}"


def _recipient(*, account: Account, contacts: Sequence[Contact]) -> Recipient:
    addresses: dict[ChannelKind, str] = {ChannelKind.LETTER: _letter_address(account)}
    consents = {ChannelKind.LETTER}
    contact = _contact_to_notify(contacts)
    if contact is not None:
        if contact.mobile:
            addresses[ChannelKind.SMS] = addresses[ChannelKind.MMS] = contact.mobile
        if contact.email:
            addresses[ChannelKind.EMAIL] = contact.email
        if contact.wechat_openid:
            addresses[ChannelKind.WECHAT] = contact.wechat_openid
        if contact.consents_to_sms:
            consents |= {ChannelKind.SMS, ChannelKind.MMS}
        if contact.consents_to_email:
            consents.add(ChannelKind.EMAIL)
        if contact.consents_to_wechat:
            consents.add(ChannelKind.WECHAT)
    return Recipient(
        key=recipient_key(account=account),
        addresses=addresses,
        consents=frozenset(consents),
        language=RECIPIENT_LANGUAGE,
        org_unit_id=account.org_unit_id,
    )


def recipient_for_account(*, account: Account) -> Recipient:
    """The recipient of notifications about ``account`` (reads its customer and contacts)."""
    return _recipient(account=account, contacts=list(account.customer.contacts.all()))


def recipients_for_accounts(*, accounts: QuerySet[Account]) -> Iterator[Recipient]:
    """The recipients of notifications about ``accounts``, in the queryset's order: two queries
    per :data:`CHUNK_SIZE` accounts (the accounts with their customers, then the contacts of
    those customers), however many accounts there are."""
    rows = accounts.select_related("customer").prefetch_related(
        Prefetch("customer__contacts", queryset=Contact.objects.all(), to_attr=_PREFETCHED_CONTACTS)
    )
    for account in rows.iterator(chunk_size=CHUNK_SIZE):
        yield _recipient(account=account, contacts=getattr(account.customer, _PREFETCHED_CONTACTS))
