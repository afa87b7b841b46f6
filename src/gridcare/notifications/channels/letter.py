"""Letters (paper notices such as 停电通知书): a batch rendered to one printable PDF.

``send`` adds the letter to the open batch and answers at once with its place in the batch
(``<batch id>-p<page>``); :meth:`LetterAdapter.render_batch` prints the batch as one PDF
(WeasyPrint, Noto CJK fonts from Debian's fonts-noto-cjk), one A4 page per letter: the sender
block, the recipient's address block (``recipient``, lines separated by newlines), the subject,
the body, and the page number. Delivery is confirmed when staff record the letter as served,
which the notification service keeps; a letter has no gateway receipt.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from gridcare.notifications.channels.base import ChannelKind, DeliveryReceipt, OutgoingMessage, SendResult

_STYLE = """
@page {
  size: A4;
  margin: 25mm 20mm 25mm 20mm;
  @bottom-center {
    content: "第 " counter(page) " 页 / 共 " counter(pages) " 页";
    font-family: "Noto Serif CJK SC", serif;
    font-size: 9pt;
  }
}
body { font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", serif; font-size: 12pt; line-height: 1.6; }
.letter { page-break-after: always; }
.letter:last-child { page-break-after: auto; }
.sender { font-size: 9pt; color: #444; }
.address { margin: 12mm 0 12mm 0; width: 90mm; min-height: 30mm; border: 0.3mm solid #999; padding: 4mm; }
h1 { font-size: 18pt; text-align: center; letter-spacing: 0.2em; }
.body p { text-indent: 2em; margin: 0 0 0.6em 0; }
.reference { font-size: 8pt; color: #666; margin-top: 10mm; }
"""


@dataclass(frozen=True, kw_only=True)
class LetterSettings:
    """The sender block printed on every letter (the company's name and address lines)."""

    sender_lines: tuple[str, ...] = ()


def render_letters_pdf(*, letters: Sequence[OutgoingMessage], sender_lines: Sequence[str]) -> bytes:
    """One PDF with one page per letter (a letter longer than a page runs onto more)."""
    from weasyprint import HTML  # imported here: loading Pango is slow and only letters need it

    return bytes(HTML(string=letters_html(letters=letters, sender_lines=sender_lines)).write_pdf())


def letters_html(*, letters: Sequence[OutgoingMessage], sender_lines: Sequence[str]) -> str:
    """The HTML the PDF is printed from (escaped: a letter's text is never markup)."""
    sender = "<br>".join(html.escape(line) for line in sender_lines)
    pages = []
    for letter in letters:
        address = "<br>".join(html.escape(line) for line in letter.recipient.splitlines())
        paragraphs = "".join(
            f"<p>{html.escape(paragraph)}</p>" for paragraph in letter.body.splitlines() if paragraph.strip()
        )
        pages.append(
            f'<section class="letter"><div class="sender">{sender}</div>'
            f'<div class="address">{address}</div><h1>{html.escape(letter.subject)}</h1>'
            f'<div class="body">{paragraphs}</div>'
            f'<div class="reference">{html.escape(letter.message_id)}</div></section>'
        )
    head = f'<head><meta charset="utf-8"><style>{_STYLE}</style></head>'
    return f'<!DOCTYPE html><html lang="zh-Hans">{head}<body>{"".join(pages)}</body></html>'


@dataclass(kw_only=True)
class LetterBatch:
    """Letters gathered for one print run."""

    batch_id: str
    letters: list[OutgoingMessage] = field(default_factory=list)


class LetterAdapter:
    """Gathers letters into a batch and prints the batch as one PDF."""

    kind = ChannelKind.LETTER

    def __init__(self, *, settings: LetterSettings, batch_id: str) -> None:
        self._settings = settings
        self._batch = LetterBatch(batch_id=batch_id)

    @property
    def batch(self) -> LetterBatch:
        """The open batch."""
        return self._batch

    def send(self, message: OutgoingMessage) -> SendResult:
        """Add ``message`` to the batch; a letter already in it (a resend) keeps its place."""
        for index, letter in enumerate(self._batch.letters, start=1):
            if letter.message_id == message.message_id:
                return SendResult(
                    accepted=True,
                    provider_message_id=batch_page_id(batch_id=self._batch.batch_id, position=index),
                )
        self._batch.letters.append(message)
        position = len(self._batch.letters)
        return SendResult(
            accepted=True, provider_message_id=batch_page_id(batch_id=self._batch.batch_id, position=position)
        )

    def collect_receipts(self, *, wait_seconds: float) -> list[DeliveryReceipt]:
        """None: a letter is confirmed by staff recording it as served, not by a gateway."""
        return []

    def render_batch(self) -> bytes:
        """The batch as one printable PDF, letters in the order they were added."""
        return render_letters_pdf(letters=self._batch.letters, sender_lines=self._settings.sender_lines)


def batch_page_id(*, batch_id: str, position: int) -> str:
    """The id of a letter's place in a batch: ``<batch id>-p<position>`` (1-based)."""
    return f"{batch_id}-p{position}"


__all__ = [
    "LetterAdapter",
    "LetterBatch",
    "LetterSettings",
    "batch_page_id",
    "letters_html",
    "render_letters_pdf",
]
