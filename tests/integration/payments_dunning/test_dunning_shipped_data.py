"""What the dunning migration ships: templates valid for their events, in both languages for
every channel of their delivery policies, and the policies' flags."""

from __future__ import annotations

import pytest

from gridcare.notifications.models import DeliveryPolicy, NotificationTemplate
from gridcare.notifications.rendering import check_template
from gridcare.payments.dunning_plans import ACTION_EVENTS
from gridcare.payments.supply_orders import BREACH_EVENT

pytestmark = pytest.mark.django_db


def test_every_dunning_event_has_a_policy_and_templates_for_each_of_its_channels() -> None:
    events = {*ACTION_EVENTS.values(), BREACH_EVENT}
    policies = {policy.event: policy for policy in DeliveryPolicy.objects.filter(event__in=events)}
    assert {event: (policy.urgent, policy.legally_required) for event, policy in policies.items()} == {
        "arrears_reminder": (False, False),
        "arrears_formal_notice": (False, False),
        "arrears_notice": (False, True),
        "disconnection_reminder": (False, True),
        "reconnection_breach": (True, False),
    }
    templates = list(NotificationTemplate.objects.filter(event__in=events))
    for template in templates:
        check_template(event=template.event, texts=(template.subject, template.body, template.html_body))
    for event, policy in policies.items():
        for step in policy.steps:
            for channel in step["channels"]:
                languages = {t.language for t in templates if (t.event, t.channel) == (event, channel)}
                assert languages == {"zh-hans", "en"}, (event, channel)
