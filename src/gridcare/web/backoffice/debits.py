"""Direct-debit pages (银行代扣, docs/bank-channels.md): the debit batches written to the banks
with their totals and results, and one batch's lines. For holders of ``payments.direct_debit``
in their org units; bank account numbers are always shown masked (the files hold them)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from gridcare.identity.access import permission_required
from gridcare.identity.permissions import Permission
from gridcare.payments.direct_debit import debit_batch, debit_batch_lines, debit_batches


@permission_required(Permission.MANAGE_DIRECT_DEBIT)
def debit_batch_list(request: HttpRequest) -> HttpResponse:
    """The visible debit batches, newest first, with their lines' results and totals."""
    return render(request, "web/backoffice/debit_batches.html", {"batches": debit_batches(user=request.user)})


@permission_required(Permission.MANAGE_DIRECT_DEBIT)
def debit_batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    """One batch and its lines: account, holder, masked bank account, amount, result, payment."""
    batch = debit_batch(user=request.user, batch_id=batch_id)
    if batch is None:
        raise Http404
    lines = debit_batch_lines(user=request.user, batch=batch)
    return render(request, "web/backoffice/debit_batch_detail.html", {"batch": batch, "lines": lines})
