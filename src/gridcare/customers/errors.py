"""Expected failures of the customer file, each with a zh-Hans and an English message."""

from __future__ import annotations

from gridcare.identity.errors import MobileInvalid
from gridcare.kit.errors import GridCareError
from gridcare.kit.ids import AccountNumberInvalid


class IdNumberInvalid(GridCareError):
    code = "id_number_invalid"
    message_zh = "身份证号 {value} 无效：{reason_zh}"
    message_en = "Resident ID number {value} is invalid: {reason_en}"


class CreditCodeInvalid(GridCareError):
    code = "credit_code_invalid"
    message_zh = "统一社会信用代码 {value} 无效：{reason_zh}"
    message_en = "Unified social credit code {value} is invalid: {reason_en}"


class IndustryCodeInvalid(GridCareError):
    code = "industry_code_invalid"
    message_zh = "行业分类代码 {value} 无效：应为 GB/T 4754 门类字母 A–T 加 0、2、3 或 4 位数字"
    message_en = (
        "Industry code {value} is invalid: a GB/T 4754 code is a section letter A–T "
        "followed by 0, 2, 3 or 4 digits"
    )


class LandlineInvalid(GridCareError):
    code = "landline_invalid"
    message_zh = "固定电话 {value} 无效：应为区号加号码，如 0531-88888888，可带分机号"
    message_en = (
        "Landline {value} is invalid: it must be an area code and number such as 0531-88888888, "
        "optionally with an extension"
    )


class EmailInvalid(GridCareError):
    code = "email_invalid"
    message_zh = "电子邮箱 {value} 无效"
    message_en = "Email address {value} is invalid"


class WechatOpenidInvalid(GridCareError):
    code = "wechat_openid_invalid"
    message_zh = "微信 openid {value} 无效：应为 6 至 64 位字母、数字、下划线或连字符"
    message_en = "WeChat openid {value} is invalid: it must be 6 to 64 letters, digits, underscores or dashes"


class RequiredFieldMissing(GridCareError):
    code = "required_field_missing"
    message_zh = "{label_zh}不能为空"
    message_en = "The {label_en} is required"


class FieldTooLong(GridCareError):
    code = "field_too_long"
    message_zh = "{label_zh}最多 {max_length} 个字符，收到 {length} 个"
    message_en = "The {label_en} takes at most {max_length} characters, got {length}"


class TextHasControlCharacter(GridCareError):
    code = "text_has_control_character"
    message_zh = "{label_zh}第 {position} 个字符是不可见的控制字符 {code_point}，请删除后重试"
    message_en = (
        "The {label_en} holds the invisible control character {code_point} at position {position}; "
        "remove it and try again"
    )


class ChoiceInvalid(GridCareError):
    code = "choice_invalid"
    message_zh = "{label_zh} {value} 无效，可选值：{allowed}"
    message_en = "{label_en} {value} is invalid; allowed values: {allowed}"


class PersonIdentityRequired(GridCareError):
    code = "person_identity_required"
    message_zh = "自然人客户须登记身份证号，且不能登记统一社会信用代码"
    message_en = "A person needs a resident ID number and cannot have a unified social credit code"


class EnterpriseIdentityRequired(GridCareError):
    code = "enterprise_identity_required"
    message_zh = "企业客户须登记统一社会信用代码，且不能登记身份证号"
    message_en = "An enterprise needs a unified social credit code and cannot have a resident ID number"


class IdNumberAlreadyRegistered(GridCareError):
    code = "id_number_already_registered"
    message_zh = "身份证号 {value} 已登记为客户 {customer_no}"
    message_en = "Resident ID number {value} is already registered as customer {customer_no}"


class CreditCodeAlreadyRegistered(GridCareError):
    code = "credit_code_already_registered"
    message_zh = "统一社会信用代码 {value} 已登记为客户 {customer_no}"
    message_en = "Unified social credit code {value} is already registered as customer {customer_no}"


class ContactChannelMissing(GridCareError):
    code = "contact_channel_missing"
    message_zh = "联系人至少需要手机、固定电话、电子邮箱或微信 openid 之一"
    message_en = "A contact needs at least a mobile, landline, email or WeChat openid"


class ConsentWithoutChannel(GridCareError):
    code = "consent_without_channel"
    message_zh = "联系人同意{channel_zh}联系，但未登记{needs_zh}"
    message_en = "The contact consents to {channel_en} but has no {needs_en}"


class PrimaryContactExists(GridCareError):
    code = "primary_contact_exists"
    message_zh = "客户 {customer_no} 已有主要联系人 {existing_name}"
    message_en = "Customer {customer_no} already has a primary contact, {existing_name}"


class ContactAlreadyPrimary(GridCareError):
    code = "contact_already_primary"
    message_zh = "{name} 已是客户 {customer_no} 的主要联系人"
    message_en = "{name} is already the primary contact of customer {customer_no}"


class AccountNumberTaken(GridCareError):
    code = "account_no_taken"
    message_zh = "户号 {account_no} 已被使用"
    message_en = "Account number {account_no} is already in use"


class AccountOrgUnitNotStation(GridCareError):
    code = "account_org_unit_not_station"
    message_zh = "用电户须归属供电所，{org_unit_name} 不是供电所"
    message_en = "An account must belong to a supply station; {org_unit_name} is not one"


class AccountOrgUnitOutsideCustomer(GridCareError):
    code = "account_org_unit_outside_customer"
    message_zh = "{org_unit_name} 不在客户 {customer_no} 所属单位 {customer_org_unit_name} 的管辖范围内"
    message_en = (
        "{org_unit_name} is not within {customer_org_unit_name}, the org unit of customer {customer_no}"
    )


class ReadingDayOutOfRange(GridCareError):
    code = "reading_day_out_of_range"
    message_zh = "抄表例日 {reading_day} 无效：须在 1 至 28 之间"
    message_en = "Reading day {reading_day} is invalid: it must be between 1 and 28"


class ContractCapacityInvalid(GridCareError):
    code = "contract_capacity_invalid"
    message_zh = "合同容量 {value} kVA 无效：{reason_zh}"
    message_en = "Contract capacity {value} kVA is invalid: {reason_en}"


class ReadingRouteCodeTaken(GridCareError):
    code = "reading_route_code_taken"
    message_zh = "抄表段编码 {route_code} 已被使用"
    message_en = "Reading route code {route_code} is already in use"


class ReadingRouteOrgUnitNotStation(GridCareError):
    code = "reading_route_org_unit_not_station"
    message_zh = "抄表段须归属供电所，{org_unit_name} 不是供电所"
    message_en = "A reading route must belong to a supply station; {org_unit_name} is not one"


class ReadingRouteElsewhere(GridCareError):
    code = "reading_route_elsewhere"
    message_zh = "抄表段 {route_code} 属于 {route_org_unit_name}，不属于 {org_unit_name}"
    message_en = "Reading route {route_code} belongs to {route_org_unit_name}, not to {org_unit_name}"


class ReadingDayDiffersFromRoute(GridCareError):
    code = "reading_day_differs_from_route"
    message_zh = "抄表例日 {reading_day} 与抄表段 {route_code} 的例日 {route_reading_day} 不一致"
    message_en = (
        "Reading day {reading_day} differs from day {route_reading_day} of reading route {route_code}"
    )


class AccountClosed(GridCareError):
    code = "account_closed"
    message_zh = "用电户 {account_no} 已于 {closed_date} 销户，销户后不能再变更"
    message_en = "Account {account_no} was closed on {closed_date}; a closed account cannot change"


class AccountStatusUnchanged(GridCareError):
    code = "account_status_unchanged"
    message_zh = "用电户 {account_no} 已是{status_zh}状态"
    message_en = "Account {account_no} is already {status_en}"


class StatusEffectiveDateTooEarly(GridCareError):
    code = "status_effective_date_too_early"
    message_zh = "生效日期 {effective_date} 须晚于最近一次状态变更的生效日期 {latest_date}"
    message_en = "The effective date {effective_date} must be after {latest_date}, the latest status change"


class NotKeyAccount(GridCareError):
    code = "not_key_account"
    message_zh = "用电户 {account_no} 不是重要客户，不配备客户经理"
    message_en = "Account {account_no} is not a key account, so it has no account manager"


class StaffUserRequired(GridCareError):
    code = "staff_user_required"
    message_zh = "{username} 不是在职的营销人员"
    message_en = "{username} is not an active staff user"


class StaffLacksRole(GridCareError):
    code = "staff_lacks_role"
    message_zh = "{username} 没有{role_zh}角色"
    message_en = "{username} does not hold the {role_en} role"


class StaffOutsideOrgUnit(GridCareError):
    code = "staff_outside_org_unit"
    message_zh = "{username} 所属单位不管辖 {org_unit_name}"
    message_en = "The org unit of {username} does not cover {org_unit_name}"


class ManagerAlreadyAssigned(GridCareError):
    code = "manager_already_assigned"
    message_zh = "{username} 已是用电户 {account_no} 的客户经理"
    message_en = "{username} is already the account manager of account {account_no}"


class AssignmentStartsTooEarly(GridCareError):
    code = "assignment_starts_too_early"
    message_zh = "新的客户经理须在 {current_from} 之后生效（当前客户经理自该日起任职），收到 {valid_from}"
    message_en = (
        "The new account manager must start after {current_from}, when the current one started; "
        "got {valid_from}"
    )


class ManagerAssignmentAfterClosure(GridCareError):
    code = "manager_assignment_after_closure"
    message_zh = "客户经理自 {valid_from} 起任职，不能在 {effective_date} 销户"
    message_en = "The account manager starts on {valid_from}, so the account cannot close on {effective_date}"


class DateInFuture(GridCareError):
    code = "date_in_future"
    message_zh = "{label_zh} {day} 晚于今天（{today}）：只能登记已经发生的日期"
    message_en = "The {label_en} {day} is after today ({today}): only dates that have come can be recorded"


class ContactInFuture(GridCareError):
    code = "contact_in_future"
    message_zh = "联系时间 {occurred_at} 晚于当前时间"
    message_en = "The contact time {occurred_at} is in the future"


class FollowUpBeforeContact(GridCareError):
    code = "follow_up_before_contact"
    message_zh = "跟进日期 {follow_up_date} 早于联系日期 {contact_date}"
    message_en = "The follow-up date {follow_up_date} is before the contact date {contact_date}"


class NoFollowUpPlanned(GridCareError):
    code = "no_follow_up_planned"
    message_zh = "该联系记录没有安排跟进"
    message_en = "This contact log entry has no follow-up planned"


class FollowUpAlreadyDone(GridCareError):
    code = "follow_up_already_done"
    message_zh = "该跟进已于 {done_at} 完成"
    message_en = "This follow-up was already done at {done_at}"


class NotPortalUser(GridCareError):
    code = "not_portal_user"
    message_zh = "{username} 不是网上营业厅用户"
    message_en = "{username} is not a portal user"


class PortalUserAlreadyLinked(GridCareError):
    code = "portal_user_already_linked"
    message_zh = "网上营业厅用户 {username} 已关联客户 {customer_no}"
    message_en = "Portal user {username} is already linked to customer {customer_no}"


# --- Portal (网上营业厅) account binding ---------------------------------------------------


class BindingProofRejected(GridCareError):
    # Says nothing about whether the account exists: a stranger must not learn which 户号 are real.
    code = "binding_proof_rejected"
    message_zh = "户号与证明信息不匹配。请核对户号，以及户主身份证号或统一社会信用代码的后 6 位"
    message_en = (
        "The account number and the proof do not match. Check the account number and the last 6 "
        "characters of the account holder's resident ID number or unified social credit code"
    )


class AccountAlreadyBound(GridCareError):
    code = "account_already_bound"
    message_zh = "户号 {account_no} 已绑定到您的网上营业厅"
    message_en = "Account {account_no} is already bound to your portal login"


class PortalLoginServesOneCustomer(GridCareError):
    code = "portal_login_serves_one_customer"
    message_zh = "您的网上营业厅已绑定客户 {customer_name} 的户号，一个登录账号只能绑定一位客户的户号"
    message_en = (
        "Your portal login is bound to the accounts of {customer_name}; one login serves the accounts "
        "of one customer"
    )


class PiiUnmaskNotPermitted(GridCareError):
    code = "pii_unmask_not_permitted"
    message_zh = "您的角色无权查看完整的个人信息（身份证号、电话）"
    message_en = "Your role may not see personal data (ID numbers, phones) unmasked"


class BankAccountNumberInvalid(GridCareError):
    code = "bank_account_no_invalid"
    message_zh = "银行账号无效：应为 12 至 30 位数字"
    message_en = "The bank account number is invalid: it must be 12 to 30 digits"


class BankNameMissing(GridCareError):
    code = "bank_name_missing"
    message_zh = "请填写开户银行"
    message_en = "Enter the bank the account is held at"


__all__ = [
    "AccountAlreadyBound",
    "AccountClosed",
    "AccountNumberInvalid",
    "AccountNumberTaken",
    "AccountOrgUnitNotStation",
    "AccountOrgUnitOutsideCustomer",
    "AccountStatusUnchanged",
    "AssignmentStartsTooEarly",
    "BankAccountNumberInvalid",
    "BankNameMissing",
    "BindingProofRejected",
    "ChoiceInvalid",
    "ConsentWithoutChannel",
    "ContactAlreadyPrimary",
    "ContactChannelMissing",
    "ContactInFuture",
    "ContractCapacityInvalid",
    "CreditCodeAlreadyRegistered",
    "CreditCodeInvalid",
    "DateInFuture",
    "EmailInvalid",
    "EnterpriseIdentityRequired",
    "FieldTooLong",
    "FollowUpAlreadyDone",
    "FollowUpBeforeContact",
    "IdNumberAlreadyRegistered",
    "IdNumberInvalid",
    "IndustryCodeInvalid",
    "LandlineInvalid",
    "ManagerAlreadyAssigned",
    "ManagerAssignmentAfterClosure",
    "MobileInvalid",
    "NoFollowUpPlanned",
    "NotKeyAccount",
    "NotPortalUser",
    "PersonIdentityRequired",
    "PiiUnmaskNotPermitted",
    "PortalLoginServesOneCustomer",
    "PortalUserAlreadyLinked",
    "PrimaryContactExists",
    "ReadingDayDiffersFromRoute",
    "ReadingDayOutOfRange",
    "ReadingRouteCodeTaken",
    "ReadingRouteElsewhere",
    "ReadingRouteOrgUnitNotStation",
    "RequiredFieldMissing",
    "StaffLacksRole",
    "StaffOutsideOrgUnit",
    "StaffUserRequired",
    "StatusEffectiveDateTooEarly",
    "TextHasControlCharacter",
    "WechatOpenidInvalid",
]
