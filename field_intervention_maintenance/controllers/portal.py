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
                "page_name": "equipment",
            }
        )
        return request.render("field_intervention_maintenance.portal_equipment_page", values)
