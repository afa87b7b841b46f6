"""Letters: a batch of 停电通知书 printed as one PDF with embedded Noto CJK fonts."""

from __future__ import annotations

import re

from gridcare.notifications.channels.base import ChannelKind, OutgoingMessage
from gridcare.notifications.channels.letter import LetterAdapter, LetterSettings

from .conftest import pdf_objects

SUBJECT = "停电通知书"


def outage_notice(*, number: int) -> OutgoingMessage:
    return OutgoingMessage(
        message_id=f"letter-{number}",
        channel=ChannelKind.LETTER,
        recipient=f"北京市海淀区中关村大街{number}号\n王五{number} 收",
        subject=SUBJECT,
        body="因10千伏线路检修，定于2026年12月1日08:00至18:00停电。\n特此通知。",
    )


def test_a_batch_prints_one_page_per_letter_with_the_chinese_text_in_embedded_cjk_fonts() -> None:
    adapter = LetterAdapter(
        settings=LetterSettings(sender_lines=("国网示范供电公司", "营销部")), batch_id="2026-11-29-A"
    )
    results = [adapter.send(outage_notice(number=number)) for number in (1, 2, 3)]

    pdf = adapter.render_batch()

    assert [(result.accepted, result.provider_message_id) for result in results] == [
        (True, "2026-11-29-A-p1"),
        (True, "2026-11-29-A-p2"),
        (True, "2026-11-29-A-p3"),
    ]
    assert pdf.startswith(b"%PDF-")
    objects = pdf_objects(pdf)
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", objects)) == 3
    assert re.search(rb"/Type\s*/Pages\b.*?/Count\s+3\b", objects, re.DOTALL) is not None
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+Noto-Serif-CJK-SC\b", objects) is not None
    assert re.search(rb"/FontFile[23]?\s", objects) is not None
    # The ToUnicode maps name every character used, so the text can be searched and copied.
    for character in "停电通知书王五检修":
        assert f"<{ord(character):04x}>".encode() in objects.lower(), character


def test_a_resent_letter_keeps_its_place_in_the_batch() -> None:
    adapter = LetterAdapter(settings=LetterSettings(), batch_id="B")
    adapter.send(outage_notice(number=1))
    adapter.send(outage_notice(number=2))

    resend = adapter.send(outage_notice(number=1))

    assert resend.provider_message_id == "B-p1"
    assert [letter.message_id for letter in adapter.batch.letters] == ["letter-1", "letter-2"]


def test_letter_text_is_escaped_not_markup() -> None:
    from gridcare.notifications.channels.letter import letters_html

    html = letters_html(
        letters=[
            OutgoingMessage(
                message_id="x",
                channel=ChannelKind.LETTER,
                recipient="<b>张三</b>",
                subject="通知",
                body="<script>1</script>",
            )
        ],
        sender_lines=["A&B"],
    )

    assert "&lt;b&gt;张三&lt;/b&gt;" in html
    assert "&lt;script&gt;1&lt;/script&gt;" in html
    assert "A&amp;B" in html
    assert "<script>" not in html
