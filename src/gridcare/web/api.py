"""The JSON API (django-ninja), mounted at /api/: version 1 at /api/v1/ with its OpenAPI schema
at /api/v1/openapi.json, and the Swagger UI at /api/docs (assets served locally).

Every error is JSON ``{code, message_zh, message_en, field}``; invalid input is 422 with the
path of every invalid field. See docs/api.md for authentication and request signing.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from gridcare.audit.api import router as audit_router
from gridcare.billing.api import router as billing_router  # billing (issue 5)
from gridcare.customers.api import router as accounts_router
from gridcare.identity.api_auth import deny
from gridcare.identity.errors import ApiCredentialsMissing, ApiRequestRefused
from gridcare.kit.errors import GridCareError
from gridcare.metering.api import router as meter_reads_router
from gridcare.metering.errors import ReadTimeTaken
from gridcare.payments.api import router as payments_router  # payments (issue 6)
from gridcare.payments.bank_api import router as bank_collection_router  # bank channels (issue 6)

api = NinjaAPI(
    title="GridCare API",
    version="1",
    description="GridCare electricity marketing system (电力营销系统). Authentication: docs/api.md.",
    urls_namespace="api-v1",
    docs_url=None,
)
api.add_router("/accounts", accounts_router)
api.add_router("/", meter_reads_router)
api.add_router("/audit", audit_router)
api.add_router("/billing", billing_router)  # billing (issue 5): quotes
api.add_router("/payments", payments_router)  # payments (issue 6): late-fee quotes
api.add_router("/payments/bank", bank_collection_router)  # bank channels (issue 6): 代收

#: Refusals of a state that already exists (a second read at the same moment) are conflicts.
CONFLICTS = (ReadTimeTaken,)


def _error(request: HttpRequest, *, status: int, body: Mapping[str, object]) -> HttpResponse:
    return api.create_response(request, body, status=status)


@api.exception_handler(ApiRequestRefused)
def refused(request: HttpRequest, exc: ApiRequestRefused) -> HttpResponse:
    """An authentication or authorization refusal (already audited where it was raised)."""
    return _error(request, status=exc.status_code, body=exc.as_dict())


@api.exception_handler(AuthenticationError)
def not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    """No credentials at all: 401, audited."""
    refusal = ApiCredentialsMissing()
    deny(request, refusal)
    return _error(request, status=refusal.status_code, body=refusal.as_dict())


@api.exception_handler(GridCareError)
def refused_by_rule(request: HttpRequest, exc: GridCareError) -> HttpResponse:
    """A domain rule refused the change: 409 for a conflict, else 422; nothing was changed."""
    return _error(request, status=409 if isinstance(exc, CONFLICTS) else 422, body=exc.as_dict())


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    """Not found, or outside the caller's org units (the two are not told apart)."""
    body = {
        "code": "not_found",
        "message_zh": "找不到该记录，或它不在您的单位范围内",
        "message_en": "Not found, or not in your org units",
        "field": None,
    }
    return _error(request, status=404, body=body)


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Parameters or body not matching the schema: 422 with each field's path and reason."""
    errors = [
        {
            "field": ".".join(str(part) for part in error.get("loc", ())),
            "message": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in exc.errors
    ]
    body = {
        "code": "validation_failed",
        "message_zh": f"请求有 {len(errors)} 处输入无效",
        "message_en": f"The request has {len(errors)} invalid input(s)",
        "field": errors[0]["field"] if errors else None,
        "errors": errors,
    }
    return _error(request, status=422, body=body)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """Other request errors django-ninja raises (e.g. a body that is not JSON: 400)."""
    body = {
        "code": "bad_request" if exc.status_code == 400 else f"http_{exc.status_code}",
        "message_zh": "请求格式有误",
        "message_en": f"The request is malformed: {exc.message}",
        "field": None,
    }
    return _error(request, status=exc.status_code, body=body)


def api_docs(request: HttpRequest) -> HttpResponse:
    """The Swagger UI of version 1, with django-ninja's locally served assets."""
    return api.docs.render_page(request, api)


urlpatterns = [
    path("v1/", api.urls),
    path("docs", api_docs, name="api_docs"),
]
