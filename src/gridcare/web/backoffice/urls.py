from django.urls import path

from gridcare.web import callbacks  # gateway callbacks (issue 4)
from gridcare.web.backoffice import approvals, audit_log, integrations, jobs, pii, security, users, views
from gridcare.web.backoffice import arrears as arrears_pages  # dunning (issue 6)
from gridcare.web.backoffice import billing as billing_pages  # billing pages (issue 5)
from gridcare.web.backoffice import cashier as cashier_pages  # cashier (issue 6)
from gridcare.web.backoffice import debits as debit_pages  # bank channels (issue 6)
from gridcare.web.backoffice import ledger as ledger_pages  # ledger reports (issue 6)
from gridcare.web.backoffice import letters as letter_pages  # letters (issue 4)
from gridcare.web.backoffice import notifications as notification_pages  # notifications (issue 4)
from gridcare.web.backoffice import prepaid as prepaid_pages  # prepaid (issue 6)
from gridcare.web.backoffice import reconciliation as reconciliation_pages  # statements (issue 6 §6)
from gridcare.web.provider_callbacks import provider_notification  # provider payments (portalpay)

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.StaffLoginView.as_view(), name="login"),
    path("logout/", views.StaffLogoutView.as_view(), name="logout"),
    path("accounts/", views.account_search, name="account_search"),
    path("accounts/<str:account_no>/", views.account_detail, name="account_detail"),
    path("accounts/<str:account_no>/personal-data/", pii.reveal_account_pii, name="account_pii"),
    path("audit/", audit_log.audit_log, name="audit_log"),
    path("audit/export.csv", audit_log.audit_log_csv, name="audit_log_csv"),
    # Staff authentication (issue 3): own password and MFA, the MFA login step, lockouts.
    path("security/", security.security_overview, name="security"),
    path("security/password/", security.password_change, name="password_change"),
    path("security/mfa/enrol/", security.mfa_enrol, name="mfa_enrol"),
    path("security/mfa/verify/", security.mfa_verify, name="mfa_verify"),
    path(
        "security/mfa/recovery-codes/",
        security.recovery_codes_regenerate,
        name="mfa_recovery_codes_regenerate",
    ),
    path("security/lockouts/", security.lockouts, name="lockouts"),
    path("security/lockouts/unlock/", security.unlock, name="unlock"),
    path("integrations/", integrations.integrations, name="integrations"),
    path("integrations/<str:name>/rotate", integrations.rotate, name="integration_rotate"),
    path("integrations/<str:name>/revoke", integrations.revoke, name="integration_revoke"),
    # access (issue 3): user management and four-eyes approvals
    path("users/", users.user_list, name="user_list"),
    path("users/<int:user_id>/", users.user_detail, name="user_detail"),
    path("approvals/", approvals.inbox, name="approval_inbox"),
    path("my-requests/", approvals.my_requests, name="my_requests"),
    path("my-requests/bulk-unmask/", approvals.bulk_unmask_request, name="bulk_unmask_request"),
    path("approvals/<int:request_id>/decide/", approvals.decide, name="approval_decide"),
    path("my-requests/<int:request_id>/cancel/", approvals.cancel, name="approval_cancel"),
    # notifications (issue 4): the outbox, each message's path, daily counts, template previews
    path("notifications/", notification_pages.message_list, name="notification_list"),
    path("notifications/<int:message_id>/", notification_pages.message_detail, name="notification_detail"),
    path("notifications/daily/", notification_pages.daily_counts, name="notification_counts"),
    path("notifications/templates/", notification_pages.template_list, name="notification_templates"),
    path(
        "notifications/templates/<int:template_id>/preview/",
        notification_pages.template_preview,
        name="notification_template_preview",
    ),
    path(
        "notifications/unsubscribe/<str:token>/",
        notification_pages.unsubscribe,
        name="notification_unsubscribe",
    ),
    # gateway callbacks (issue 4): receipts from the HTTP SMS gateway and WeChat's event push
    path("notifications/callbacks/sms/", callbacks.sms_gateway_receipt, name="notification_sms_callback"),
    path("notifications/callbacks/wechat/", callbacks.wechat_event, name="notification_wechat_callback"),
    # payment provider notifications (portalpay): the provider's signed asynchronous notification
    path(
        "payments/callbacks/provider/",
        provider_notification,
        name="provider_notification_callback",
    ),
    # jobs (issue 4): background job runs and their progress
    path("jobs/", jobs.job_runs, name="job_runs"),
    path("jobs/<uuid:run_id>/progress/", jobs.job_progress, name="job_progress"),
    # letters (issue 4): letter batches, printing one, its letters' service, its PDF
    path("letters/", letter_pages.letter_batches, name="letter_batches"),
    path("letters/print/", letter_pages.letter_batch_print, name="letter_batch_print"),
    path("letters/<int:batch_id>/", letter_pages.letter_batch_detail, name="letter_batch_detail"),
    path("letters/<int:batch_id>/letters.pdf", letter_pages.letter_batch_pdf, name="letter_batch_pdf"),
    path(
        "letters/<int:batch_id>/served/<int:message_id>/",
        letter_pages.letter_served,
        name="letter_served",
    ),
    # dunning (issue 6): the arrears work list, disconnection and reconnection orders
    path("arrears/", arrears_pages.arrears_work_list, name="arrears_work_list"),
    path("arrears/orders/", arrears_pages.supply_order_list, name="supply_orders"),
    path("arrears/orders/<int:order_id>/done/", arrears_pages.supply_order_done, name="supply_order_done"),
    # prepaid (issue 6): prepaid accounts by org unit, switching to prepaid and back
    path("prepaid/", prepaid_pages.prepaid_accounts, name="prepaid_accounts"),
    path("prepaid/start/", prepaid_pages.prepaid_start, name="prepaid_start"),
    path("prepaid/<int:arrangement_id>/end/", prepaid_pages.prepaid_end, name="prepaid_end"),
    # ledger reports (issue 6): trial balance, aged receivables, collection rate, GL export
    path("ledger/", ledger_pages.ledger_reports, name="ledger_reports"),
    path("ledger/general-ledger.csv", ledger_pages.general_ledger_csv, name="general_ledger_csv"),
    # billing pages (issue 5): bill runs, their progress and review, bills and their PDF
    path("billing/runs/", billing_pages.bill_runs, name="bill_runs"),
    path("billing/runs/new/", billing_pages.bill_run_create, name="bill_run_create"),
    path("billing/runs/<int:run_id>/", billing_pages.bill_run_detail, name="bill_run_detail"),
    path("billing/runs/<int:run_id>/progress/", billing_pages.bill_run_progress, name="bill_run_progress"),
    path("billing/runs/<int:run_id>/approve/", billing_pages.bill_run_approve, name="bill_run_approve"),
    path("billing/runs/<int:run_id>/issue/", billing_pages.bill_run_issue, name="bill_run_issue"),
    path("billing/runs/<int:run_id>/cancel/", billing_pages.bill_run_cancel, name="bill_run_cancel"),
    path("billing/runs/<int:run_id>/review/", billing_pages.bill_run_review, name="bill_run_review"),
    path(
        "billing/runs/<int:run_id>/review/approve/",
        billing_pages.bill_run_approve_selected,
        name="bill_run_approve_selected",
    ),
    path("billing/bills/<int:bill_id>/", billing_pages.bill_detail, name="bill_detail"),
    path("billing/bills/<int:bill_id>/bill.pdf", billing_pages.bill_pdf, name="bill_pdf"),
    path("billing/bills/<int:bill_id>/hold/", billing_pages.bill_hold, name="bill_hold"),
    path("billing/bills/<int:bill_id>/release/", billing_pages.bill_release, name="bill_release"),
    path("billing/bills/<int:bill_id>/send-back/", billing_pages.bill_send_back, name="bill_send_back"),
    path("billing/bills/<int:bill_id>/recalculate/", billing_pages.bill_recalculate, name="bill_recalculate"),
    path("billing/bills/<int:bill_id>/adjust/", billing_pages.bill_adjust, name="bill_adjust"),
    # statements (issue 6 §6): bank statements and the resolution of their lines (对账)
    path("reconciliation/", reconciliation_pages.statement_list, name="statement_list"),
    path(
        "reconciliation/<int:statement_id>/", reconciliation_pages.statement_detail, name="statement_detail"
    ),
    path(
        "reconciliation/lines/<int:line_id>/<str:action>/",
        reconciliation_pages.resolve_line,
        name="statement_line_resolve",
    ),
    # cashier (issue 6): the cashier screen and its shift, receipts, the payment history
    path("cashier/", cashier_pages.cashier_screen, name="cashier"),
    path("cashier/search/", cashier_pages.cashier_search, name="cashier_search"),
    path("cashier/shift/open/", cashier_pages.shift_open, name="cashier_shift_open"),
    path("cashier/shift/close/", cashier_pages.shift_close, name="cashier_shift_close"),
    path("cashier/accounts/<str:account_no>/pay/", cashier_pages.take_payment, name="cashier_take_payment"),
    path("shifts/", cashier_pages.shift_list, name="cashier_shifts"),
    path("shifts/<str:number>/review/", cashier_pages.shift_review, name="cashier_shift_review"),
    path("payments/", cashier_pages.payment_history, name="payment_history"),
    path("payments/<str:receipt_no>/", cashier_pages.payment_receipt, name="payment_receipt"),
    path(
        "payments/<str:receipt_no>/receipt.pdf", cashier_pages.payment_receipt_pdf, name="payment_receipt_pdf"
    ),
    path("payments/<str:receipt_no>/reverse/", cashier_pages.payment_reverse, name="payment_reverse"),
    # bank channels (issue 6): direct-debit batches and their results
    path("direct-debit/", debit_pages.debit_batch_list, name="debit_batches"),
    path("direct-debit/<int:batch_id>/", debit_pages.debit_batch_detail, name="debit_batch_detail"),
]
