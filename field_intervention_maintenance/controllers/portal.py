from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager


class FieldInterventionEquipmentPortal(CustomerPortal):
    """ "My equipment": the customer's installed base and its history. The access rules of the
    equipment decide what a user sees (a customer: its own company's equipment only)."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "equipment_count" in counters:
            Equipment = request.env["field.intervention.equipment"]
            values["equipment_count"] = Equipment.search_count([]) if Equipment.has_access("read") else 0
        return values

    @http.route(["/my/equipment", "/my/equipment/page/<int:page>"], type="http", auth="user", website=True)
    def portal_my_equipment(self, page=1, **kw):
        Equipment = request.env["field.intervention.equipment"]
        can_read = Equipment.has_access("read")
        pager = portal_pager(
            url="/my/equipment",
            total=Equipment.search_count([]) if can_read else 0,
            page=page,
            step=self._items_per_page,
        )
        equipment = (
            Equipment.search([], order="site_id, name, id", limit=self._items_per_page, offset=pager["offset"])
            if can_read
            else Equipment
        )
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "equipment_list": equipment,
                "last_services": equipment._fi_last_service_dates() if equipment else {},
                "page_name": "equipment",
                "pager": pager,
                "default_url": "/my/equipment",
            }
        )
        return request.render("field_intervention_maintenance.portal_my_equipment", values)

    @http.route("/my/equipment/<int:equipment_id>", type="http", auth="user", website=True)
    def portal_equipment_page(self, equipment_id, **kw):
        """The page the QR label opens: the form for an employee, the history for the customer."""
        if request.env.user._is_internal():
            return request.redirect(
                f"/odoo/action-field_intervention_maintenance.field_intervention_equipment_action/{equipment_id}"
            )
        try:
            equipment_sudo = self._document_check_access("field.intervention.equipment", equipment_id)
        except (AccessError, MissingError):
            return request.redirect("/my")
        equipment = request.env["field.intervention.equipment"].browse(equipment_sudo.id)
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "equipment": equipment_sudo,
                "interventions": equipment._fi_portal_interventions(),
                "certificates": equipment_sudo.boiler_certificate_ids.filtered("attachment_id"),
                "page_name": "equipment",
            }
        )
        return request.render("field_intervention_maintenance.portal_equipment_page", values)

    @http.route(
        "/my/equipment/<int:equipment_id>/certificate/<int:certificate_id>", type="http", auth="user", website=True
    )
    def portal_equipment_certificate(self, equipment_id, certificate_id, **kw):
        """A maintenance certificate of the customer's equipment: only a file this route owns (the
        PDF recorded on a certificate of that equipment), for whoever may read the equipment."""
        try:
            equipment_sudo = self._document_check_access("field.intervention.equipment", equipment_id)
        except (AccessError, MissingError):
            raise request.not_found() from None
        certificate_sudo = equipment_sudo.boiler_certificate_ids.filtered(lambda cert: cert.id == certificate_id)
        attachment_sudo = certificate_sudo.attachment_id
        if not attachment_sudo:
            raise request.not_found()
        filename = attachment_sudo.name or "certificate.pdf"
        return request.make_response(
            attachment_sudo.raw,
            headers=[
                ("Content-Type", "application/pdf"),
                ("Content-Disposition", http.content_disposition(filename)),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )
