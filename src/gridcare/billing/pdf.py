"""The printable bill (电费通知单) as a PDF, for the portal and the back office.

Printed like the letters channel (:mod:`gridcare.notifications.channels.letter`): WeasyPrint
from HTML, with Debian's Noto CJK fonts (fonts-noto-cjk) so the Chinese text is embedded as real
glyphs, searchable and copyable; the sender block is the letters' (``NOTIFICATION_CHANNELS``
``letter.SENDER_LINES``). The template is billing/templates/billing/bill_pdf.html; its style
sheet is :data:`BILL_STYLE` (templates carry no inline styles: the site's CSP refuses them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from gridcare.billing import explanation
from gridcare.billing.models import Bill, BillLine

#: The print style of the bill (A4, Noto CJK fonts, page numbers at the foot).
BILL_STYLE = """
@page {
  size: A4;
  margin: 20mm 18mm 20mm 18mm;
  @bottom-center {
    content: counter(page) " / " counter(pages);
    font-family: "Noto Sans CJK SC", sans-serif;
    font-size: 8pt;
  }
}
body { font-family: "Noto Sans CJK SC", "Noto Serif CJK SC", sans-serif; font-size: 10pt; line-height: 1.5; }
.sender { font-size: 9pt; color: #444; }
h1 { font-family: "Noto Serif CJK SC", serif; font-size: 18pt; text-align: center; }
h1 { letter-spacing: 0.2em; margin: 6mm 0; }
table { width: 100%; border-collapse: collapse; }
.facts td { padding: 1mm 2mm; vertical-align: top; }
.facts td.label { color: #555; width: 28mm; }
.lines th, .lines td { border-bottom: 0.2mm solid #999; padding: 1.5mm 1.5mm; text-align: left; }
.lines th { background: #eef3f2; font-weight: bold; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.rule { font-size: 8pt; color: #555; }
.total td { font-weight: bold; font-size: 12pt; border-bottom: none; }
.note { font-size: 8pt; color: #666; margin-top: 6mm; }
"""


@dataclass(frozen=True, kw_only=True)
class PrintedLine:
    """A bill line as printed: its name in the bill's language and its rule in words."""

    line: BillLine
    name: str
    rule: str
    quantity: str
    unit_price: str


def sender_lines() -> list[str]:
    """The company's name and address lines printed at the top (the letters' sender block)."""
    configured = str(settings.NOTIFICATION_CHANNELS["letter"]["SENDER_LINES"])
    return [line for line in configured.split("|") if line]


def bill_pdf_html(
    *, bill: Bill, lines: Sequence[BillLine], adjustments: Sequence[Bill], language: str
) -> str:
    """The HTML the PDF is printed from, in ``language`` (escaped: no stored text is markup)."""
    with translation.override(language):
        chinese = translation.get_language() == "zh-hans"
        printed = [
            PrintedLine(
                line=line,
                name=line.name_zh if chinese else line.name_en,
                rule=str(explanation.rule_label(line.rule)),
                quantity=explanation.plain_number(line.quantity),
                unit_price=explanation.plain_number(line.unit_price),
            )
            for line in lines
        ]
        return render_to_string(
            "billing/bill_pdf.html",
            {
                "bill": bill,
                "lines": printed,
                "adjustments": adjustments,
                "sender_lines": sender_lines(),
                "language": translation.get_language(),
            },
        )


def render_bill_pdf(
    *, bill: Bill, lines: Sequence[BillLine], adjustments: Sequence[Bill], language: str = "zh-hans"
) -> bytes:
    """The bill as a one-page A4 PDF (a bill with many lines runs onto more pages)."""
    from weasyprint import CSS, HTML  # imported here: loading Pango is slow and only PDFs need it

    html = bill_pdf_html(bill=bill, lines=lines, adjustments=adjustments, language=language)
    return bytes(HTML(string=html).write_pdf(stylesheets=[CSS(string=BILL_STYLE)]))
