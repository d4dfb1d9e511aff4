from dateutil.relativedelta import relativedelta

from odoo import api, fields, models


class FieldInterventionPriceIndex(models.Model):
    """The value of a price index for a month (e.g. "BT40", March 2026: 132.4), entered or
    imported by a manager from the publication (INSEE, FFB): the contracts revised by an index
    compare the value of the same index one year after their base value."""

    _name = "field.intervention.price.index"
    _description = "Price Index Value"
    _inherit = ["field.intervention.protected.mixin"]  # noqa: RUF012
    _order = "name, month desc"
    _rec_names_search = ["name"]  # noqa: RUF012

    name = fields.Char(string="Index", required=True, index=True, help='Name of the index, e.g. "BT40".')
    month = fields.Date(required=True, help="Month of the value (stored as the first day of the month).")
    value = fields.Float(required=True, digits=(16, 4))

    _sql_constraints = [  # noqa: RUF012
        ("name_month_unique", "UNIQUE(name, month)", "An index has one value per month."),
        ("value_positive", "CHECK(value > 0)", "The value of an index must be positive."),
    ]

    @api.depends("name", "month", "value")
    def _compute_display_name(self):
        for index in self:
            month = index.month.strftime("%m/%Y") if index.month else ""
            index.display_name = f"{index.name or ''} {month}: {index.value:g}"

    def _fi_user_fields(self):
        # who may enter them: the access rights (managers); the record's bookkeeping is the ORM's
        return super()._fi_user_fields() | {"name", "month", "value"}

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([self._normalize_month(vals) for vals in vals_list])

    def write(self, vals):
        return super().write(self._normalize_month(vals))

    @api.model
    def _normalize_month(self, vals):
        """A value is the month's: any day typed or imported is stored as the first day."""
        if vals.get("month"):
            vals = {**vals, "month": fields.Date.to_date(vals["month"]).replace(day=1)}
        if vals.get("name"):
            vals = {**vals, "name": vals["name"].strip()}
        return vals

    def _fi_year_after(self):
        """The value of the same index twelve months after each value of ``self``, if entered.

        :return: dict {value: value a year later}, only the values whose next one exists
        """
        if not self:
            return {}
        later = {(index.name, index.month + relativedelta(months=12)): index for index in self}
        found = self.search(
            [("name", "in", list({name for name, _month in later})), ("month", "in", list({m for _n, m in later}))]
        )
        by_key = {(index.name, index.month): index for index in found}
        return {index: by_key[key] for key, index in later.items() if key in by_key}
