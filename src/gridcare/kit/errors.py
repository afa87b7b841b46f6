"""The error base class: expected failures carry a user-facing message in zh-Hans and English."""

from __future__ import annotations

from collections.abc import Mapping


class GridCareError(Exception):
    """An expected, user-facing failure.

    Subclasses set ``code`` and the two message templates; the templates are formatted with
    the keyword parameters given at raise time, e.g.
    ``AccountNumberInvalid(account_no="1234567890")``.
    """

    code: str = "error"
    message_zh: str = "操作失败。"
    message_en: str = "The operation failed."

    def __init__(self, *, field: str | None = None, **params: object) -> None:
        self.field = field
        self.params: Mapping[str, object] = params
        super().__init__(self.message("en"))

    def message(self, language: str = "zh-hans") -> str:
        """The message in ``language`` (``zh-hans`` is the default; anything English-like gives en)."""
        template = self.message_en if language.lower().startswith("en") else self.message_zh
        return template.format(**self.params)

    def __reduce__(self) -> tuple[object, ...]:
        # Rebuilt from its state, not by calling __init__ again: subclasses take their own
        # keyword-only arguments, and an error must cross to another process (a worker's
        # partition failure reaches the runner that started it).
        return (_restored_error, (type(self), self.args, dict(self.__dict__)))

    def as_dict(self) -> dict[str, object]:
        """Both messages and the machine-readable code, for reports and API responses."""
        return {
            "code": self.code,
            "field": self.field,
            "message_zh": self.message("zh-hans"),
            "message_en": self.message("en"),
        }


def _restored_error(
    kind: type[GridCareError], args: tuple[object, ...], state: dict[str, object]
) -> GridCareError:
    """A pickled :class:`GridCareError` again: its class, message arguments and attributes."""
    error = kind.__new__(kind)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error
