from odoo import api, fields, models

from ..tools.trusted_write import check_protected

# timesheet fields that belong to the intervention report; billing fields stay writable
TIMESHEET_CONTENT_FIELDS = {
    "intervention_id",
    "unit_amount",
    "date",
    "employee_id",
    "user_id",
    "task_id",
    "project_id",
    "name",
}


class AccountAnalyticLine(models.Model):
    _inherit = "account.analytic.line"

    intervention_id = fields.Many2one(
        "field.intervention",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
        # a duplicated timesheet is an ordinary one: only the synchronisation links time to it
        copy=False,
        help="Intervention whose worked time this timesheet records (kept in sync automatically).",
    )

    def _fi_check_intervention_link(self, vals_list):
        """Only the intervention's timesheet synchronisation links a timesheet to it."""
        check_protected(
            self,
            vals_list,
            {"intervention_id"},
            self.env._("record the time on the intervention (Start / Stop or its time segments)."),
        )

    @api.model_create_multi
    def create(self, vals_list):
        self._fi_check_intervention_link(vals_list)
        # the state of the intervention is read as superuser: a timesheet approver may not see it
        interventions_sudo = (
            self.env["field.intervention"]
            .sudo()
            .browse({vals["intervention_id"] for vals in vals_list if vals.get("intervention_id")})
        )
        interventions_sudo._check_content_editable()
        return super().create(vals_list)

    def write(self, vals):
        self._fi_check_intervention_link([vals])
        if TIMESHEET_CONTENT_FIELDS.intersection(vals):
            self.sudo().intervention_id._check_content_editable()
        res = super().write(vals)
        if vals.get("intervention_id"):
            self.sudo().intervention_id._check_content_editable()
        return res

    def unlink(self):
        interventions_sudo = self.sudo().intervention_id
        interventions_sudo._check_content_editable()
        return super().unlink()
