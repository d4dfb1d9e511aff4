import re

from odoo import SUPERUSER_ID, http
from odoo.http import request

# a WebhookCallbackContent is the Flow's metadata: a few hundred bytes
WEBHOOK_MAX_BYTES = 64 * 1024
SIGNATURE = re.compile(r"sha256=[0-9a-f]{64}")
ANSWERS = {"ok": 200, "retry": 503, "bad payload": 400, "length required": 411, "too large": 413}


class PaWebhookController(http.Controller):
    @http.route(
        "/l10n_fr_pa_flow/webhook/<int:company_id>",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,
        max_content_length=WEBHOOK_MAX_BYTES,
    )
    def l10n_fr_pa_webhook(self, company_id, **kwargs):
        """The platform's callback (WebhookCallbackContent), signed with the company's secret.
        The headers are checked before the body is read, and the body is read up to its cap."""
        httprequest = request.httprequest
        signature = (httprequest.headers.get("X-PA-Signature") or "").strip()
        if not SIGNATURE.fullmatch(signature):
            return self._answer("refused")
        if httprequest.content_length is None:
            return self._answer("length required")
        if httprequest.content_length > WEBHOOK_MAX_BYTES:
            return self._answer("too large")
        # werkzeug reads no more than the Content-Length, checked above
        body = httprequest.get_data()
        # the platform is no user: the exchange's own user, without superuser rights until the
        # model has checked the signature
        flows = request.env(user=SUPERUSER_ID, su=False)["l10n_fr_pa.flow"]
        return self._answer(flows._l10n_fr_pa_webhook(company_id, body, signature))

    def _answer(self, status):
        return request.make_json_response({"status": status}, status=ANSWERS.get(status, 403))
