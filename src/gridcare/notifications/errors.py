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


# Letters (issue 4) -------------------------------------------------------------------------------


class NoLettersDue(GridCareError):
    code = "notifications.no_letters_due"
    message_zh = "“{org_unit}”及其下级单位没有待打印的信函。"
    message_en = 'No letter of "{org_unit}" or the units below it is waiting to be printed.'


class NotALetter(GridCareError):
    code = "notifications.not_a_letter"
    message_zh = "消息 #{message_id} 不是信函（渠道：{channel}），不能登记送达。"
    message_en = (
        "Message #{message_id} is not a letter (channel: {channel}): it cannot be recorded as served."
    )


class LetterNotPrinted(GridCareError):
    code = "notifications.letter_not_printed"
    message_zh = "信函 #{message_id} 尚未打印（状态：{state}），不能登记送达。"
    message_en = (
        "Letter #{message_id} has not been printed yet (state: {state}): it cannot be recorded as served."
    )


class LetterAlreadyServed(GridCareError):
    code = "notifications.letter_already_served"
    message_zh = "信函 #{message_id} 已于 {served_at} 登记送达。"
    message_en = "Letter #{message_id} was already recorded as served on {served_at}."


class ServedInFuture(GridCareError):
    code = "notifications.served_in_future"
    message_zh = "送达时间 {served_at} 晚于当前时间。"
    message_en = "The time of service {served_at} lies in the future."


class ServedBeforePrinted(GridCareError):
    code = "notifications.served_before_printed"
    message_zh = "送达时间 {served_at} 早于信函打印时间 {printed_at}。"
    message_en = "The time of service {served_at} is before the letter was printed ({printed_at})."


class ReceiverNameRequired(GridCareError):
    code = "notifications.receiver_name_required"
    message_zh = "直接送达须填写签收人姓名。"
    message_en = "A letter served in person needs the name of the person who received it."
