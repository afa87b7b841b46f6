"""Bank statement files written by hand for the tests: camt.053 and camt.054 XML as banks send
them (namespaced, any version), and the statement CSV of docs/reconciliation.md."""

from __future__ import annotations

from dataclasses import dataclass

#: The collection account of 国网济南供电公司 at 工商银行 济南分行 (a made-up number).
ACCOUNT_NO = "1602000109200012345"


@dataclass(frozen=True, kw_only=True)
class Entry:
    amount: str
    end_to_end_id: str = ""
    bank_reference: str = ""
    remittance: str = ""
    payer: str = "张伟"
    booking_date: str = "2025-03-10"
    direction: str = "CRDT"
    currency: str = "CNY"


def _v08_entry(entry: Entry) -> str:
    """An ``Ntry`` as camt.053.001.08 writes it (Sts/Cd, Pty-wrapped parties, TxDtls/Amt)."""
    party = "Dbtr" if entry.direction == "CRDT" else "Cdtr"
    end_to_end = f"<EndToEndId>{entry.end_to_end_id}</EndToEndId>" if entry.end_to_end_id else ""
    return f"""
      <Ntry>
        <NtryRef>{entry.bank_reference}</NtryRef>
        <Amt Ccy="{entry.currency}">{entry.amount}</Amt>
        <CdtDbtInd>{entry.direction}</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>{entry.booking_date}</Dt></BookgDt>
        <ValDt><Dt>{entry.booking_date}</Dt></ValDt>
        <AcctSvcrRef>{entry.bank_reference}</AcctSvcrRef>
        <BkTxCd><Prtry><Cd>COLL</Cd></Prtry></BkTxCd>
        <NtryDtls>
          <TxDtls>
            <Refs>{end_to_end}<AcctSvcrRef>{entry.bank_reference}</AcctSvcrRef></Refs>
            <Amt Ccy="{entry.currency}">{entry.amount}</Amt>
            <CdtDbtInd>{entry.direction}</CdtDbtInd>
            <RltdPties><{party}><Pty><Nm>{entry.payer}</Nm></Pty></{party}></RltdPties>
            <RmtInf><Ustrd>{entry.remittance}</Ustrd></RmtInf>
          </TxDtls>
        </NtryDtls>
      </Ntry>"""


def camt053(
    entries: list[Entry],
    *,
    statement_id: str = "ICBC-STMT-20250310",
    version: str = "001.08",
    period: tuple[str, str] = ("2025-03-10T00:00:00+08:00", "2025-03-10T23:59:59+08:00"),
) -> bytes:
    body = "".join(_v08_entry(entry) for entry in entries)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.{version}"
          xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <BkToCstmrStmt>
    <GrpHdr>
      <MsgId>ICBC20250311000001</MsgId>
      <CreDtTm>2025-03-11T02:00:00+08:00</CreDtTm>
    </GrpHdr>
    <Stmt>
      <Id>{statement_id}</Id>
      <ElctrncSeqNb>69</ElctrncSeqNb>
      <CreDtTm>2025-03-11T02:00:00+08:00</CreDtTm>
      <FrToDt><FrDtTm>{period[0]}</FrDtTm><ToDtTm>{period[1]}</ToDtTm></FrToDt>
      <Acct>
        <Id><Othr><Id>{ACCOUNT_NO}</Id></Othr></Id>
        <Ccy>CNY</Ccy>
        <Svcr><FinInstnId><BICFI>ICBKCNBJSDG</BICFI><Nm>中国工商银行济南分行</Nm></FinInstnId></Svcr>
      </Acct>
      <Bal>
        <Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>
        <Amt Ccy="CNY">1000000.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Dt><Dt>2025-03-10</Dt></Dt>
      </Bal>{body}
    </Stmt>
  </BkToCstmrStmt>
</Document>
""".encode()


def camt054_v02(entries: list[Entry], *, notification_id: str = "ABC-NTF-20250310-1") -> bytes:
    """A camt.054.001.02 notification: Sts as text, AmtDtls/TxAmt, parties without Pty, and one
    batch entry holding every transaction."""
    total = sum(float(entry.amount) * 100 for entry in entries) / 100
    details = "".join(
        f"""
          <TxDtls>
            <Refs><EndToEndId>{entry.end_to_end_id}</EndToEndId></Refs>
            <AmtDtls><TxAmt><Amt Ccy="CNY">{entry.amount}</Amt></TxAmt></AmtDtls>
            <RltdPties><Dbtr><Nm>{entry.payer}</Nm></Dbtr></RltdPties>
            <RmtInf><Ustrd>{entry.remittance}</Ustrd></RmtInf>
          </TxDtls>"""
        for entry in entries
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>ABC20250310N1</MsgId><CreDtTm>2025-03-10T18:00:00</CreDtTm></GrpHdr>
    <Ntfctn>
      <Id>{notification_id}</Id>
      <CreDtTm>2025-03-10T18:00:00</CreDtTm>
      <Acct>
        <Id><Othr><Id>{ACCOUNT_NO}</Id></Othr></Id>
        <Svcr><FinInstnId><BIC>ABOCCNBJ150</BIC><Nm>中国农业银行</Nm></FinInstnId></Svcr>
      </Acct>
      <Ntry>
        <Amt Ccy="CNY">{total:.2f}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><DtTm>2025-03-10T17:45:00</DtTm></BookgDt>
        <ValDt><Dt>2025-03-11</Dt></ValDt>
        <AcctSvcrRef>ABC-BATCH-0310</AcctSvcrRef>
        <NtryDtls>{details}
        </NtryDtls>
      </Ntry>
    </Ntfctn>
  </BkToCstmrDbtCdtNtfctn>
</Document>
""".encode()


CSV_HEADER = (
    "statement_id,account_no,bank,booking_date,value_date,direction,amount,currency,"
    "end_to_end_id,bank_reference,remittance_info,counterparty_name"
)


def statement_csv(rows: list[str], *, header: str = CSV_HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()
