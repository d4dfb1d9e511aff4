from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import request

MAX_UPLOAD_BYTES = 25 * 1024 * 1024


class FieldInterventionVerify(http.Controller):
    """Public verification page reached from the QR code of a signed PDF.

    It only shows what is printed on the signed document itself (number, date,
    company, customer, signer, time); the random token is the only key.
    """

    def _fi_get_signature(self, token):
        if not token or len(token) != 32 or not token.isalnum():
            raise NotFound()
        signature_sudo = (
            request.env["field.intervention.signature"]
            .sudo()
            .search([("verify_token", "=", token), ("status", "=", "signed")], limit=1)
        )
        if not signature_sudo:
            raise NotFound()
        # opened by the link of the signed PDF: in the language of the document's customer
        request.env["ir.http"]._fi_set_customer_page_lang(signature_sudo.intervention_id.partner_id)
        return signature_sudo.with_context(lang=request.env.lang)

    @http.route(
        "/fi/verify/<string:token>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        website=True,
        sitemap=False,
        readonly=True,
    )
    def fi_verify(self, token, document=None, **kw):
        signature_sudo = self._fi_get_signature(token)
        result = None
        if request.httprequest.method == "POST":
            result = "missing"
            if document and hasattr(document, "read"):
                data = document.read(MAX_UPLOAD_BYTES + 1)
                if len(data) > MAX_UPLOAD_BYTES:
                    result = "too_large"
                elif not signature_sudo.pdf_hash:
                    result = "pending"  # the signed PDF is being rendered: nothing to compare yet
                else:
                    result = "match" if signature_sudo._check_pdf_bytes(data) else "mismatch"
        return request.render("field_intervention_sign.verify_page", {"signature": signature_sudo, "result": result})
