"""Settlement pages (zh-hans): thin — parse, check permission, call one service, render."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from core.money import yuan
from settlement.models import PaymentIntent, SimPayment


@csrf_exempt
@require_POST
def adyen_webhook(request: HttpRequest) -> HttpResponse:
    """Adyen standard notifications (and the simulator's, signed the same way)."""
    from settlement.webhooks import webhook_receive

    status, text = webhook_receive(request.body)
    return HttpResponse(text, status=status, content_type="text/plain")


@csrf_exempt
@require_POST
def adyen_transfer_webhook(request: HttpRequest) -> HttpResponse:
    """Adyen Balance Platform transfer webhooks (payouts): HMAC of the raw body in a header."""
    from settlement.webhooks import transfer_webhook_receive

    status, text = transfer_webhook_receive(request.body, request.headers.get("HmacSignature", ""))
    return HttpResponse(text, status=status, content_type="text/plain")


@require_http_methods(["GET", "POST"])
def sim_pay(request: HttpRequest, token: str) -> HttpResponse:
    """The bank simulator's payment page: the payer confirms (or cancels) the payment."""
    from settlement import simulator

    payment = SimPayment.objects.filter(token=token).first()
    if payment is None:
        raise Http404
    intent = PaymentIntent.objects.filter(reference=payment.merchant_reference).first()
    if request.method == "POST":
        approve = request.POST.get("action") != "cancel"
        payment = simulator.payer_confirm(token=token, approve=approve)
        if str(simulator.conf("GAVEL_SIMULATOR_SETTLEMENT", "instant")) != "delayed":
            from settlement.worker import drain

            drain()
        payment.refresh_from_db()
    return render(
        request,
        "settlement/sim_pay.html",
        {
            "payment": payment,
            "intent": intent,
            "amount": yuan(payment.amount_minor),
            "title": _("模拟银行收银台"),
        },
    )
