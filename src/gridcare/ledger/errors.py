"""Expected failures of the ledger."""

from __future__ import annotations

from gridcare.kit.errors import GridCareError


class LedgerEntryImmutable(GridCareError):
    """A journal entry or posting was about to change or go: corrections are reversal entries."""

    code = "ledger_entry_immutable"
    message_zh = "记账凭证及其分录一经记账不能修改或删除；请做冲销凭证。"
    message_en = (
        "A posted journal entry and its postings cannot change or be deleted; post a reversal instead."
    )


class JournalEntryUnbalanced(GridCareError):
    """An entry's debits and credits differ (or it has no postings)."""

    code = "journal_entry_unbalanced"
    message_zh = "记账凭证借贷不平衡：借方 {debit}，贷方 {credit}。"
    message_en = "The journal entry does not balance: debits {debit}, credits {credit}."


class PostingInvalid(GridCareError):
    """A posting line that cannot be posted (no amount, both sides, a customer account missing
    where its ledger account is kept per customer account, or given where it is not)."""

    code = "posting_invalid"
    message_zh = "第 {line} 行分录无效：{reason_zh}"
    message_en = "Posting line {line} is invalid: {reason_en}"


class LedgerAccountUnknown(GridCareError):
    code = "ledger_account_unknown"
    message_zh = "没有代码为“{code}”的会计科目。"
    message_en = 'No ledger account has the code "{code}".'


class JournalEntryAlreadyReversed(GridCareError):
    code = "journal_entry_already_reversed"
    message_zh = "记账凭证 {number} 已被冲销。"
    message_en = "Journal entry {number} has already been reversed."


class JournalEntryIsReversal(GridCareError):
    code = "journal_entry_is_reversal"
    message_zh = "记账凭证 {number} 本身是冲销凭证，不能再冲销；请重新记账。"
    message_en = "Journal entry {number} is itself a reversal and cannot be reversed; post the entry again."
