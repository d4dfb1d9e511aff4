from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

# months between two visits of each periodicity
PERIOD_MONTHS = {"semiannual": 6, "yearly": 12, "biennial": 24}
LINE_USER_FIELDS = frozenset(
    {"contract_id", "sequence", "equipment_id", "periodicity", "first_due_date", "visit_duration", "note"}
)


class FieldInterventionContractLine(models.Model):
    """An equipment of a contract and how often it is serviced."""

    _name = "field.intervention.contract.line"
    _description = "Maintenance Contract Line"
    _inherit = ["field.intervention.protected.mixin"]  # noqa: RUF012
    _order = "contract_id, sequence, id"
    _check_company_auto = True

    contract_id = fields.Many2one("field.intervention.contract", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    sequence = fields.Integer(default=10)
    equipment_id = fields.Many2one("field.intervention.equipment", required=True, index=True, check_company=True)
    site_id = fields.Many2one(related="equipment_id.site_id", string="Site")
    periodicity = fields.Selection(
        [("yearly", "Yearly"), ("biennial", "Every two years"), ("semiannual", "Twice a year")],
        required=True,
        default="yearly",
    )
    first_due_date = fields.Date(
        string="First Visit Due",
        compute="_compute_first_due_date",
        store=True,
        readonly=False,
        precompute=True,
        help="Due date of the first visit; the next ones follow at the periodicity.",
    )
    visit_duration = fields.Float(string="Visit Duration (hours)", default=2.0)
    note = fields.Char(string="Instructions")

    _sql_constraints = [  # noqa: RUF012
        ("visit_duration_positive", "CHECK(visit_duration > 0)", "The duration of a visit must be positive."),
    ]

    @api.depends("contract_id.date_start")
    def _compute_first_due_date(self):
        for line in self:
            if not line.first_due_date:
                line.first_due_date = line.contract_id.date_start

    @api.constrains("equipment_id", "contract_id")
    def _check_equipment_customer(self):
        for line in self:
            customer = line.contract_id.partner_id.commercial_partner_id
            if line.equipment_id.partner_id != customer:
                raise ValidationError(
                    self.env._(
                        "%(equipment)s is not installed at an address of %(customer)s.",
                        equipment=line.equipment_id.display_name,
                        customer=customer.display_name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.contract_id._fi_check_terms_editable()
        return lines

    def write(self, vals):
        self.contract_id._fi_check_terms_editable()
        return super().write(vals)

    def _fi_user_fields(self):
        fields_ = super()._fi_user_fields()
        if self.env.user.has_group("field_intervention.group_field_intervention_manager"):
            fields_ |= LINE_USER_FIELDS
        return fields_

    def _fi_due_dates(self, until):
        """Due dates of the line's visits from its first one up to ``until`` (included)."""
        self.ensure_one()
        if not self.first_due_date:
            return []
        step = PERIOD_MONTHS[self.periodicity]
        dates, index = [], 0
        while True:
            # counted from the first date: 31 August, 28 February, 31 August (not 28 August)
            due = self.first_due_date + relativedelta(months=step * index)
            if due > until:
                return dates
            dates.append(due)
            index += 1
