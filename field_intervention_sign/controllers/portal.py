from collections import OrderedDict

from werkzeug.exceptions import Forbidden, NotFound

from odoo import fields, http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request
from odoo.osv import expression

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..tools.request_origin import request_origin

MAX_FIELD_LENGTH = 2 * 1024 * 1024  # the model refuses anything above its own limits


class FieldInterventionPortal(CustomerPortal):
    """Portal pages of the interventions: thin routes, the model decides."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "intervention_count" in counters:
            Intervention = request.env["field.intervention"]
            values["intervention_count"] = (
                Intervention.search_count(self._fi_portal_domain()) if Intervention.has_access("read") else 0
            )
        return values

    def _fi_portal_domain(self):
        """The reports of the user's company and its contacts, in the states a customer sees."""
        commercial_partner = request.env.user.partner_id.commercial_partner_id
        # ("partner_id", "child_of", ...) resolved once, the way the ORM resolves it (as superuser,
        # archived contacts included): the leaf would walk the contact tree again for each search
        contacts_query_sudo = (
            request.env["res.partner"]
            .sudo()
            .with_context(active_test=False)
            ._search([("id", "child_of", commercial_partner.id)])
        )
        return [
            ("partner_id", "in", contacts_query_sudo),
            ("state", "in", ("done", "signed", "disputed")),
        ]

    def _fi_searchbar_filters(self):
        return OrderedDict(
            [
                ("all", {"label": request.env._("All"), "domain": []}),
                ("to_sign", {"label": request.env._("To sign"), "domain": [("state", "=", "done")]}),
                ("signed", {"label": request.env._("Signed"), "domain": [("state", "=", "signed")]}),
                ("disputed", {"label": request.env._("Disputed"), "domain": [("state", "=", "disputed")]}),
            ]
        )

    def _fi_searchbar_sortings(self):
        return {
            "date": {"label": request.env._("Newest"), "order": "intervention_date desc, id desc"},
            "name": {"label": request.env._("Number"), "order": "name desc"},
        }

    @staticmethod
    def _fi_parse_date(value):
        try:
            return fields.Date.to_date(value) if value else False
        except ValueError:
            return False

    # readonly: the route may run on a read-only replica (db_replica_host); what it keeps between
    # pages goes to the session, which lives in the file store, not in the database
    @http.route(
        ["/my/interventions", "/my/interventions/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
        readonly=True,
    )
    def portal_my_interventions(self, page=1, sortby=None, filterby=None, date_from=None, date_to=None, **kw):
        request.env["ir.http"]._fi_set_customer_page_lang()
        Intervention = request.env["field.intervention"]
        filters = self._fi_searchbar_filters()
        sortings = self._fi_searchbar_sortings()
        filterby = filterby if filterby in filters else "all"
        sortby = sortby if sortby in sortings else "date"
        date_from, date_to = self._fi_parse_date(date_from), self._fi_parse_date(date_to)
        domain = expression.AND([self._fi_portal_domain(), filters[filterby]["domain"]])
        if date_from:
            domain = expression.AND([domain, [("intervention_date", ">=", date_from)]])
        if date_to:
            domain = expression.AND([domain, [("intervention_date", "<=", date_to)]])
        url_args = {"sortby": sortby, "filterby": filterby}
        url_args.update(
            {
                key: fields.Date.to_string(value)
                for key, value in (("date_from", date_from), ("date_to", date_to))
                if value
            }
        )
        can_read = Intervention.has_access("read")
        pager = portal_pager(
            url="/my/interventions",
            url_args=url_args,
            total=Intervention.search_count(domain) if can_read else 0,
            page=page,
            step=self._items_per_page,
        )
        # the columns the list shows come with the search (portal_my_interventions)
        interventions = (
            Intervention.search_fetch(
                domain,
                ["name", "intervention_date", "site_id", "state"],
                order=sortings[sortby]["order"],
                limit=self._items_per_page,
                offset=pager["offset"],
            )
            if can_read
            else Intervention
        )
        request.session["my_interventions_history"] = interventions.ids[:100]
        # found with the user's access rules: shown as superuser, as sale shows its orders, so that
        # reading each page does not evaluate the rules (and walk the contact tree) once more
        interventions_sudo = interventions.sudo()
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "interventions": interventions_sudo,
                "page_name": "intervention",
                "pager": pager,
                "default_url": "/my/interventions",
                "searchbar_filters": filters,
                "filterby": filterby,
                "searchbar_sortings": sortings,
                "sortby": sortby,
                "date_from": fields.Date.to_string(date_from) if date_from else "",
                "date_to": fields.Date.to_string(date_to) if date_to else "",
            }
        )
        return request.render("field_intervention_sign.portal_my_interventions", values)

    def _fi_check_access(self, intervention_id, access_token):
        """Return the intervention (sudo) or raise NotFound/Forbidden. A report opens in the
        portal, with an account or with the emailed link, only in the states a customer sees."""
        try:
            intervention_sudo = self._document_check_access(
                "field.intervention", intervention_id, access_token=access_token
            )
        except MissingError as error:
            raise NotFound() from error
        except AccessError as error:
            raise Forbidden() from error
        if intervention_sudo.state not in intervention_sudo._fi_customer_states():
            raise NotFound()
        request.env["ir.http"]._fi_set_customer_page_lang(intervention_sudo.partner_id if access_token else None)
        return intervention_sudo.with_context(lang=request.env.lang)

    @staticmethod
    def _fi_origin():
        """Who and where the request comes from, for the evidence."""
        return request_origin(request.env.user, request.httprequest)

    def _fi_register_view(self, intervention_sudo):
        """Log a 'viewed' event once per day and session."""
        key = f"fi_viewed_{intervention_sudo.id}"
        today = fields.Date.today().isoformat()
        if request.session.get(key) != today:
            request.session[key] = today
            intervention_sudo._fi_log_portal_view(self._fi_origin())

    def _fi_report_only(self):
        """The report of the page (HTML or PDF) writes nothing and may be read on a replica;
        the page itself logs the customer's view (a write)."""
        return request.httprequest.args.get("report_type") in ("html", "pdf")

    @http.route(
        ["/my/interventions/<int:intervention_id>"], type="http", auth="public", website=True, readonly=_fi_report_only
    )
    def portal_my_intervention(
        self, intervention_id, access_token=None, report_type=None, download=False, message=None, **kw
    ):
        intervention_sudo = self._fi_check_access(intervention_id, access_token)
        if report_type in ("html", "pdf"):
            return self._show_report(
                model=intervention_sudo,
                report_type=report_type,
                report_ref="field_intervention.action_report_field_intervention",
                download=download,
            )
        customer_side = request.env.user.share
        if customer_side:
            self._fi_register_view(intervention_sudo)
        values = {
            "intervention": intervention_sudo,
            # links carry the token the visitor came with, never the record's own
            "fi_link": lambda **link: intervention_sudo._fi_portal_link(access_token, **link),
            "fi_can_sign": customer_side and intervention_sudo.state == "done",
            "summary": intervention_sudo._fi_get_summary_values(),
            "default_signer": intervention_sudo._fi_get_default_signer(),
            "consent_text": intervention_sudo._fi_get_consent_text(),
            "last_decision": intervention_sudo._fi_last_decision(),
            "message": message,
            "page_name": "intervention",
            "report_type": "html",
            "res_company": intervention_sudo.company_id,
        }
        values = self._get_page_view_values(intervention_sudo, access_token, values, "my_interventions_history", False)
        return request.render("field_intervention_sign.portal_intervention_page", values)

    @http.route(["/my/interventions/<int:intervention_id>/sign"], type="json", auth="public", website=True)
    def portal_intervention_sign(
        self,
        intervention_id,
        access_token=None,
        name=None,
        signature=None,
        email=None,
        reserves=None,
        geo_consent=False,
        latitude=None,
        longitude=None,
        **kw,
    ):
        access_token = access_token or request.httprequest.args.get("access_token")
        try:
            intervention_sudo = self._fi_check_access(intervention_id, access_token)
        except (Forbidden, NotFound):
            return {"error": request.env._("Invalid intervention or access link.")}
        if any(isinstance(v, str) and len(v) > MAX_FIELD_LENGTH for v in (name, signature, email, reserves)):
            return {"error": request.env._("The signature image is too large (1 MB at most).")}
        try:
            intervention_sudo._fi_submit_signature(
                {
                    "decision": "sign",
                    "signer_name": name if isinstance(name, str) else "",
                    "signer_email": email if isinstance(email, str) else "",
                    "signature": signature if isinstance(signature, str) else "",
                    "reserves": reserves if isinstance(reserves, str) else "",
                    "signer_role": intervention_sudo._fi_portal_signer_role(request.env.user),
                    "geo_consent": bool(geo_consent),
                    "latitude": latitude,
                    "longitude": longitude,
                },
                self._fi_origin(),
            )
        except UserError as error:
            return {"error": error.args[0]}
        return {
            "force_refresh": True,
            "redirect_url": intervention_sudo._fi_portal_link(access_token, message="sign_ok"),
        }

    @http.route(
        ["/my/interventions/<int:intervention_id>/refuse"], type="http", auth="public", methods=["POST"], website=True
    )
    def portal_intervention_refuse(self, intervention_id, access_token=None, name=None, email=None, reason=None, **kw):
        intervention_sudo = self._fi_check_access(intervention_id, access_token)
        try:
            intervention_sudo._fi_submit_signature(
                {
                    "decision": "refuse",
                    "signer_name": name or "",
                    "signer_email": email or "",
                    "refusal_reason": reason or "",
                    "signer_role": intervention_sudo._fi_portal_signer_role(request.env.user),
                },
                self._fi_origin(),
            )
        except UserError as error:
            request.session["fi_portal_error"] = error.args[0]
            return request.redirect(intervention_sudo._fi_portal_link(access_token, message="refuse_error"))
        return request.redirect(intervention_sudo._fi_portal_link(access_token, message="refuse_ok"))

    @http.route(
        ["/my/interventions/<int:intervention_id>/signed_pdf"], type="http", auth="public", website=True, readonly=True
    )
    def portal_intervention_signed_pdf(self, intervention_id, access_token=None, **kw):
        """The signed PDF recorded in the signature evidence, if its bytes still match its hash."""
        intervention_sudo = self._fi_check_access(intervention_id, access_token)
        attachment_sudo = intervention_sudo._fi_signed_pdf_checked()
        if not attachment_sudo:
            raise NotFound()
        return request.env["ir.binary"]._get_stream_from(attachment_sudo).get_response(as_attachment=True)
