from urllib.parse import urlencode

from odoo import api, fields, models
from odoo.exceptions import ValidationError

# computed or related fields of the mission: they follow the project and the site
TASK_PROTECTED_FIELDS = frozenset(
    {"is_field_service", "intervention_site_phone", "intervention_site_map_url", "intervention_count"}
)


def osm_search_url(partner):
    """Return an OpenStreetMap search URL for the partner's address ('' without address)."""
    parts = [partner.street, partner.zip, partner.city, partner.country_id.name]
    query = ", ".join(p for p in parts if p)
    if not query:
        return ""
    return "https://www.openstreetmap.org/search?" + urlencode({"query": query})


class ProjectTask(models.Model):
    _name = "project.task"
    _inherit = ["project.task", "field.intervention.guarded.mixin"]  # noqa: RUF012

    is_field_service = fields.Boolean(related="project_id.is_field_service", store=True, string="Field Service Mission")
    intervention_site_id = fields.Many2one(
        "res.partner",
        compute="_compute_intervention_site_id",
        store=True,
        readonly=False,
        index="btree_not_null",
        help="Address where the technicians go. Defaults to the customer.",
    )
    intervention_site_phone = fields.Char(related="intervention_site_id.phone", string="Site Phone", readonly=True)
    intervention_site_map_url = fields.Char(
        string="Map Link",
        compute="_compute_intervention_site_map_url",
        help="OpenStreetMap search link for the intervention site address.",
    )
    planned_date_start = fields.Datetime(
        string="Planned Start", index=True, help="Beginning of the time window agreed with the customer."
    )
    planned_date_end = fields.Datetime(string="Planned End", help="End of the time window agreed with the customer.")
    intervention_ids = fields.One2many("field.intervention", "task_id", string="Interventions")
    intervention_count = fields.Integer(compute="_compute_intervention_count")

    @api.depends("partner_id")
    def _compute_intervention_site_id(self):
        for task in self:
            if not task.intervention_site_id:
                task.intervention_site_id = task.partner_id

    @api.depends(
        "intervention_site_id.street",
        "intervention_site_id.zip",
        "intervention_site_id.city",
        "intervention_site_id.country_id",
    )
    def _compute_intervention_site_map_url(self):
        for task in self:
            task.intervention_site_map_url = osm_search_url(task.intervention_site_id)

    def _compute_intervention_count(self):
        Intervention = self.env["field.intervention"]
        if not Intervention.has_access("read"):
            self.intervention_count = 0
            return
        counts = dict(Intervention._read_group([("task_id", "in", self.ids)], ["task_id"], ["__count"]))
        for task in self:
            task.intervention_count = counts.get(task, 0)

    @api.constrains("planned_date_start", "planned_date_end")
    def _check_planned_dates(self):
        for task in self:
            if task.planned_date_start and task.planned_date_end and task.planned_date_end < task.planned_date_start:
                raise ValidationError(
                    self.env._(
                        "The planned end of mission %(task)s must be after its planned start.", task=task.display_name
                    )
                )

    def _fi_guarded_fields(self):
        return super()._fi_guarded_fields() | TASK_PROTECTED_FIELDS

    def _fi_guarded_hint(self):
        return self.env._("a mission is a field service mission when its project is a field service project.")

    @api.readonly
    def action_view_interventions(self):
        """Open the interventions of the mission."""
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("field_intervention.field_intervention_action")
        action["domain"] = [("task_id", "=", self.id)]
        action["context"] = {"default_task_id": self.id}
        return action

    def action_new_intervention(self):
        """Open a new intervention form on this mission, filled as :meth:`_fi_create_interventions`
        fills the ones it creates."""
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": "field.intervention",
            "view_mode": "form",
            "views": [(False, "form")],
            "context": {f"default_{name}": value for name, value in self._fi_prepare_intervention_values().items()},
        }

    def _fi_prepare_intervention_values(self):
        """Values of a new intervention of the mission (hook: the addons add theirs). The
        customer, the site, the technicians and the planned date follow the mission."""
        self.ensure_one()
        return {"task_id": self.id}

    def _fi_create_interventions(self):
        """Create one intervention on each mission, from code (planned visits, imports...), with
        the rights of the current user: the model's rules and checks apply as in the form.

        :return: the new interventions, in the order of the missions
        """
        return self.env["field.intervention"].create([task._fi_prepare_intervention_values() for task in self])
