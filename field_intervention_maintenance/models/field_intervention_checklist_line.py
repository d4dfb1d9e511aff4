from odoo import api, fields, models
from odoo.exceptions import ValidationError

# what a technician measures on a boiler (arrêté du 15 septembre 2009, annexes 1 to 3), with its
# unit: the unit follows the kind, it is never typed
MEASURE_KINDS = [
    ("co_ambient", "CO in the room air"),
    ("co_flue", "CO in the flue gas"),
    ("flue_temperature", "Flue gas temperature"),
    ("room_temperature", "Room temperature"),
    ("o2", "O2 in the flue gas"),
    ("co2", "CO2 in the flue gas"),
    ("efficiency", "Efficiency"),
    ("nox", "NOx emissions"),
    ("smoke_index", "Smoke index"),
]
MEASURE_UNITS = {
    "co_ambient": "ppm",
    "co_flue": "ppm",
    "flue_temperature": "°C",
    "room_temperature": "°C",
    "o2": "%",
    "co2": "%",
    "efficiency": "%",
    "nox": "mg/kWh",
    "smoke_index": "",
}
# the lines a visit of each kind of boiler gets (the measures its annexes ask for)
BOILER_MEASURES = {
    "gas_boiler": ("co_ambient", "flue_temperature", "o2", "co_flue", "efficiency", "nox"),
    "oil_boiler": ("co_ambient", "flue_temperature", "co2", "co_flue", "smoke_index", "efficiency", "nox"),
    "wood_boiler": ("co_ambient", "flue_temperature", "o2", "co_flue", "efficiency"),
}
MEASURE_LINE_FIELDS = ("equipment_id", "measure_kind", "measure_value", "measure_reference")


class FieldInterventionChecklistLine(models.Model):
    """A checklist item may be a measurement: a kind (with its unit), the value read on site
    and the reference value it is compared with. Part of the signed report like any item."""

    _inherit = "field.intervention.checklist.line"
    # class attribute of field_intervention's model, extended here (read by the line mixin)
    _fi_line_user_fields = ("intervention_id", "sequence", "name", "result", "note", *MEASURE_LINE_FIELDS)

    equipment_id = fields.Many2one(
        "field.intervention.equipment",
        index="btree_not_null",
        ondelete="restrict",
        help="The equipment the measurement was taken on.",
    )
    measure_kind = fields.Selection(MEASURE_KINDS, string="Measure")
    measure_value = fields.Float(string="Value", digits=(16, 1))
    measure_reference = fields.Float(
        string="Reference Value",
        digits=(16, 1),
        help="The value the measure is compared with (the manufacturer's data or the regulation's reference).",
    )
    measure_unit = fields.Char(string="Unit", compute="_compute_measure_unit")

    @api.depends("measure_kind")
    def _compute_measure_unit(self):
        for line in self:
            line.measure_unit = MEASURE_UNITS.get(line.measure_kind, "") if line.measure_kind else ""

    @api.constrains("equipment_id", "intervention_id")
    def _check_equipment_serviced(self):
        for line in self.filtered("equipment_id"):
            if line.equipment_id not in line.intervention_id.equipment_ids:
                raise ValidationError(
                    self.env._(
                        "%(name)s has measurements of %(equipment)s, which it does not service.",
                        name=line.intervention_id.name,
                        equipment=line.equipment_id.display_name,
                    )
                )
