"""Expected failures of the notification service."""

from __future__ import annotations

from gridcare.kit.errors import GridCareError


class UnknownEvent(GridCareError):
    code = "notifications.unknown_event"
    message_zh = "未知的通知事件“{event}”。"
    message_en = 'Unknown notification event "{event}".'


class TemplateUsesUnknownVariable(GridCareError):
    code = "notifications.template_unknown_variable"
    message_zh = "模板使用了事件“{event}”不提供的变量：{variables}。可用变量：{allowed}。"
    message_en = (
        'The template uses variables the event "{event}" does not provide: {variables}. Available: {allowed}.'
    )


class TemplateSyntaxInvalid(GridCareError):
    code = "notifications.template_syntax"
    message_zh = "模板语法错误（第 {line} 行）：{reason}"
    message_en = "The template has a syntax error (line {line}): {reason}"


class NoTemplate(GridCareError):
    code = "notifications.no_template"
    message_zh = "事件“{event}”在渠道“{channel}”上没有有效的模板。"
    message_en = 'The event "{event}" has no valid template for the channel "{channel}".'


class NoDeliveryPolicy(GridCareError):
    code = "notifications.no_policy"
    message_zh = "事件“{event}”没有有效的发送策略。"
    message_en = 'The event "{event}" has no valid delivery policy.'


class ContextIncomplete(GridCareError):
    code = "notifications.context_incomplete"
    message_zh = "事件“{event}”缺少变量：{variables}。"
    message_en = 'The event "{event}" is missing the variables: {variables}.'


class UnsubscribeTokenInvalid(GridCareError):
    code = "notifications.unsubscribe_token_invalid"
    message_zh = "退订链接无效或已损坏。"
    message_en = "The unsubscribe link is not valid."
