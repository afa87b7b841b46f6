"""Amounts of money written in Chinese capital numerals (人民币大写金额), as receipts and
vouchers print them beside the figures, e.g. 123.45 → 壹佰贰拾叁元肆角伍分.

The writing follows the People's Bank of China's rules for filling in bills and vouchers
(《正确填写票据和结算凭证的基本规定》):

- an amount ending at the yuan is followed by 整 (0.00 → 零元整, 10.00 → 壹拾元整);
- an amount ending at the jiao takes no 整 (1,409.50 → 壹仟肆佰零玖元伍角); one with fen
  never does;
- zeros inside the yuan are written as one 零 per run of zeros (1,010 → 壹仟零壹拾元整,
  100,001 → 壹拾万零壹元整); zeros at the end of a 万 or 亿 section are not (107,000 →
  壹拾万柒仟元整);
- a zero jiao before a fen is written 零 (325.04 → 叁佰贰拾伍元零肆分), and so is a zero yuan
  digit before a jiao (1,680.32 → 壹仟陆佰捌拾元零叁角贰分: the rules allow either form; one
  is chosen so every amount has one writing);
- below one yuan no 元 is written (0.50 → 伍角, 0.05 → 伍分).

Pure: no Django, no database.
"""

from __future__ import annotations

from decimal import Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
#: The units inside a four-digit section, from the ones up.
SECTION_UNITS = ("", "拾", "佰", "仟")
#: The units of the sections, from the ones up: 万 = 10⁴, 亿 = 10⁸, 万亿 = 10¹².
SECTION_NAMES = ("", "万", "亿", "万亿")
#: The largest amount written: under a 亿亿 (10¹⁶) yuan.
LIMIT = Decimal(10) ** 16


def amount_in_capitals(amount: Decimal) -> str:
    """``amount`` (yuan, not below zero, at most two decimals) in Chinese capital numerals."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValueError(f"{amount!r} is not a Decimal amount")
    if amount < 0 or amount >= LIMIT:
        raise ValueError(f"{amount} is outside 0 to {LIMIT} yuan")
    fen_total = amount * 100
    if fen_total != fen_total.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of fen")
    yuan, cents = divmod(int(fen_total), 100)
    jiao, fen = divmod(cents, 10)
    if yuan == 0 and cents == 0:
        return "零元整"
    text = _integer_in_capitals(yuan) + "元" if yuan else ""
    if jiao:
        if yuan and yuan % 10 == 0:
            text += "零"
        text += DIGITS[jiao] + "角"
    elif fen and yuan:
        text += "零"
    if fen:
        text += DIGITS[fen] + "分"
    if not cents:
        text += "整"
    return text


def _integer_in_capitals(number: int) -> str:
    """A whole number above zero: its four-digit sections, highest first, each with its name;
    one 零 stands for every run of zeros between two digits written."""
    sections: list[int] = []
    while number:
        number, section = divmod(number, 10_000)
        sections.append(section)
    text = ""
    zero_pending = False
    for index in range(len(sections) - 1, -1, -1):
        section = sections[index]
        if section == 0:
            zero_pending = bool(text)
            continue
        # A section below 1,000 after a section written starts with a zero (100,001 → 壹拾万零壹).
        if text and (zero_pending or section < 1000):
            text += "零"
        text += _section_in_capitals(section) + SECTION_NAMES[index]
        zero_pending = False
    return text


def _section_in_capitals(section: int) -> str:
    """A number from 1 to 9,999 without its leading or trailing zeros' 零."""
    digits = [int(character) for character in f"{section:04d}"]
    text = ""
    zero_pending = False
    for position, digit in enumerate(digits):
        unit = SECTION_UNITS[3 - position]
        if digit == 0:
            zero_pending = bool(text)
            continue
        if zero_pending:
            text += "零"
            zero_pending = False
        text += DIGITS[digit] + unit
    return text
