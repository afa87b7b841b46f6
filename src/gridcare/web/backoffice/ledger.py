"""The receivables ledger's reports (docs/ledger.md): the trial balance of a day, the aged
receivables by org unit and usage category, the collection rate (电费回收率) by month with its
chart, and the general-ledger export of a day as CSV. All need ``ledger.view`` and read only the
user's org subtree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridcare.customers.models import UsageCategory
from gridcare.identity.access import permission_required
from gridcare.identity.models import User
from gridcare.identity.permissions import Permission
from gridcare.ledger.operations import export_general_ledger_day
from gridcare.ledger.queries import AGE_BANDS, aged_receivables, trial_balance
from gridcare.ledger.reports import GL_EXPORT_HEADER, collection_rates
from gridcare.organization.models import OrgUnit
from gridcare.web.csv_export import streaming_csv_response


class LedgerReportForm(forms.Form):
    """The day of the trial balance and ageing, and the year of the collection rate."""

    on = forms.DateField(
        label=gettext_lazy("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100, required=False)


@dataclass(frozen=True, kw_only=True)
class AgedRow:
    """A row of the aged receivables as shown: the org unit, the usage category's label."""

    unit: OrgUnit
    category: str
    bands: tuple[Decimal, ...]
    total: Decimal


def _band_label(low: int, high: int | None) -> str:
    if high is None:
        return _("Over %(days)s days") % {"days": low - 1}
    return _("%(low)s–%(high)s days") % {"low": low, "high": high}


def _percent(rate: Decimal | None) -> str:
    return "—" if rate is None else f"{rate * 100:.2f}%"


@permission_required(Permission.VIEW_LEDGER)
def ledger_reports(request: HttpRequest) -> HttpResponse:
    """The trial balance and aged receivables of a day (default today) and the collection rate
    of a year (default this year), with charts."""
    today = timezone.localdate()
    form = LedgerReportForm(request.GET or None)
    on, year = today, today.year
    if form.is_valid():
        on = form.cleaned_data["on"] or today
        year = form.cleaned_data["year"] or on.year
    units = {unit.pk: unit for unit in OrgUnit.objects.all()}
    categories = dict(UsageCategory.choices)
    aged = [
        AgedRow(
            unit=units[row.org_unit_id],
            category=str(categories.get(row.usage_category, row.usage_category)),
            bands=row.bands,
            total=row.total,
        )
        for row in aged_receivables(user=request.user, as_of=on)
    ]
    rates = collection_rates(user=request.user, year=year)
    bands = [_band_label(low, high) for low, high in AGE_BANDS]
    chart = {
        "bands": bands,
        "aged": [
            {"name": f"{row.unit.name} · {row.category}", "values": [str(value) for value in row.bands]}
            for row in aged
        ],
        "months": list(range(1, 13)),
        "rates": _rate_series(rates=rates, units=units),
        "labels": {"rate": _("Collection rate (%)"), "owed": _("Owed (yuan)")},
    }
    context: dict[str, Any] = {
        "form": form,
        "on": on,
        "year": year,
        "trial_balance": trial_balance(user=request.user, on=on),
        "bands": bands,
        "aged": aged,
        "rates": [
            {
                "row": row,
                "unit": units[row.org_unit_id],
                "rate": _percent(row.rate),
                "rate_to_date": _percent(row.rate_to_date),
            }
            for row in rates
        ],
        "chart": chart,
    }
    return render(request, "web/backoffice/ledger_reports.html", context)


def _rate_series(*, rates: list[Any], units: dict[int, OrgUnit]) -> list[dict[str, Any]]:
    """One line per org unit: its monthly rates in percent (None where nothing was billed)."""
    series: dict[int, list[str | None]] = {}
    for row in rates:
        values = series.setdefault(row.org_unit_id, [None] * 12)
        values[row.month - 1] = None if row.rate is None else f"{row.rate * 100:.2f}"
    return [{"name": units[unit_id].name, "values": values} for unit_id, values in series.items()]


@permission_required(Permission.VIEW_LEDGER)
def general_ledger_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The general-ledger export of the day ``?on=YYYY-MM-DD`` (required) as CSV; the export is
    audited."""
    form = LedgerReportForm(request.GET)
    if not form.is_valid() or form.cleaned_data["on"] is None:
        return HttpResponse(_("Give the day to export as on=YYYY-MM-DD."), status=400)
    on: date = form.cleaned_data["on"]
    rows = export_general_ledger_day(actor=cast(User, request.user), on=on, now=timezone.now())
    return streaming_csv_response(file_name=f"gl-{on:%Y%m%d}.csv", header=GL_EXPORT_HEADER, rows=rows)
