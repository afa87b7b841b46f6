"""The payment provider's asynchronous notification (docs/provider-payments.md): a
server-to-server POST, form-encoded and signed RSA2 by the provider. The URL is public and exempt
from CSRF; the provider's signature authenticates it. The answer is the literal text the provider
expects: ``success`` (accepted, or accepted before: stop sending it) or ``failure`` with a 400
for a refused notification (audited, nothing posted). Without a provider configured the URL does
not exist (404)."""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from gridcare.payments.errors import ProviderNotConfigured, ProviderNotificationRefused
from gridcare.payments.provider import accept_provider_notification, provider_config

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def provider_notification(request: HttpRequest) -> HttpResponse:
    """Verify and act on one notification of the payment provider."""
    try:
        provider_config()
    except ProviderNotConfigured as error:
        raise Http404 from error
    parameters = {name: request.POST.get(name, "") for name in request.POST}
    try:
        accept_provider_notification(parameters=parameters, now=timezone.now())
    except ProviderNotificationRefused as refusal:
        logger.warning("Payment provider notification refused: %s", refusal)
        return HttpResponse("failure", status=400, content_type="text/plain")
    return HttpResponse("success", content_type="text/plain")
