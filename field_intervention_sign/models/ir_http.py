from odoo import models
from odoo.http import request


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _get_translation_frontend_modules_name(cls):
        """The portal's signing dialog is ours (its JavaScript and templates): its words are
        loaded in the customer's language with the frontend's translations."""
        return [*super()._get_translation_frontend_modules_name(), "field_intervention_sign"]

    @classmethod
    def _fi_customer_page_lang(cls, customer=None):
        """Code of the language of a customer page: the language of the document's customer
        when the page is opened by the document's link (``customer``), else the logged-in
        user's, else the first one the browser accepts; among the active languages (or the
        nearest one, fr_BE for fr_FR). None when none is active: core's choice stands.

        Core (http_routing) picks the cookie of the last page shown, then the browser's: a
        customer opening the link of a French mail could read the page in English."""
        IrHttp = request.env["ir.http"]
        user = request.env.user
        candidates = [customer.lang if customer else None, None if user._is_public() else user.lang]
        candidates += [accepted.replace("-", "_") for accepted in request.httprequest.accept_languages.values()]
        return next(filter(None, map(IrHttp.get_nearest_lang, filter(None, candidates))), None)

    @classmethod
    def _fi_set_customer_page_lang(cls, customer=None):
        """Render the current frontend request in :meth:`_fi_customer_page_lang` (and remember
        it in the language cookie for the page's next requests, as core does)."""
        if not getattr(request, "is_frontend", False):
            return
        code = cls._fi_customer_page_lang(customer)
        if code and code != request.lang.code:
            request.lang = request.env["res.lang"]._get_data(code=code)
            cls._frontend_pre_dispatch()
