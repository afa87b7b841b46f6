"""Template checking and rendering: Jinja2's sandbox with strict undefined variables."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from jinja2 import StrictUndefined, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

from gridcare.notifications.errors import TemplateSyntaxInvalid, TemplateUsesUnknownVariable, UnknownEvent
from gridcare.notifications.events import COMMON_VARIABLES, EVENT_TYPES

_TEXT_ENVIRONMENT = SandboxedEnvironment(
    undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
)
_HTML_ENVIRONMENT = SandboxedEnvironment(
    undefined=StrictUndefined, autoescape=True, keep_trailing_newline=True
)


def check_template(*, event: str, texts: Iterable[str]) -> None:
    """Refuse texts that do not parse or that name a variable ``event`` does not provide."""
    event_type = EVENT_TYPES.get(event)
    if event_type is None:
        raise UnknownEvent(field="event", event=event)
    allowed = event_type.variables | COMMON_VARIABLES
    used: set[str] = set()
    for text in texts:
        try:
            used |= meta.find_undeclared_variables(_TEXT_ENVIRONMENT.parse(text))
        except TemplateSyntaxError as error:
            raise TemplateSyntaxInvalid(field="body", line=error.lineno, reason=error.message) from error
    unknown = sorted(used - allowed)
    if unknown:
        raise TemplateUsesUnknownVariable(
            field="body", event=event, variables=", ".join(unknown), allowed=", ".join(sorted(allowed))
        )


def render_text(*, source: str, context: Mapping[str, object]) -> str:
    """``source`` rendered with ``context`` (plain text: nothing escaped)."""
    return _TEXT_ENVIRONMENT.from_string(source).render(context)


def render_html(*, source: str, context: Mapping[str, object]) -> str:
    """``source`` rendered with ``context``, values HTML-escaped."""
    return _HTML_ENVIRONMENT.from_string(source).render(context) if source else ""
