import json

from odoo import SUPERUSER_ID, http
from odoo.http import request


class PaWebhookController(http.Controller):
    @http.route(
        "/l10n_fr_pa_flow/webhook/<int:company_id>",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def l10n_fr_pa_webhook(self, company_id, **kwargs):
        """The platform's callback (WebhookCallbackContent), signed with the company's secret."""
        body = request.httprequest.get_data()
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            payload = None
        # the platform is no user: the exchange's own user, without superuser rights until the
        # model has checked the signature
        flows = request.env(user=SUPERUSER_ID, su=False)["l10n_fr_pa.flow"]
        status = flows._l10n_fr_pa_webhook(
            company_id, body, request.httprequest.headers.get("X-PA-Signature", ""), payload
        )
        codes = {"ok": 200, "retry": 503, "unknown": 404}
        return request.make_json_response({"status": status}, status=codes.get(status, 403))
