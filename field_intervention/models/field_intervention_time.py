from itertools import pairwise

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class FieldInterventionTime(models.Model):
    _name = "field.intervention.time"
    _inherit = "field.intervention.line.mixin"
    _description = "Intervention Time Segment"
    _order = "date_start, id"
    _fi_line_user_fields = ("intervention_id", "date_start", "date_end")

    date_start = fields.Datetime(string="Start", required=True, default=fields.Datetime.now)
    date_end = fields.Datetime(string="End")
    duration = fields.Float(compute="_compute_duration", store=True, help="Duration in hours.")

    @api.depends("date_start", "date_end")
    def _compute_duration(self):
        for segment in self:
            if segment.date_start and segment.date_end:
                segment.duration = (segment.date_end - segment.date_start).total_seconds() / 3600.0
            else:
                segment.duration = 0.0

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for segment in self:
            if segment.date_end and segment.date_end < segment.date_start:
                raise ValidationError(
                    self.env._(
                        "A time segment cannot end before it starts: correct the end of the segment "
                        "starting at %(start)s.",
                        start=segment.date_start,
                    )
                )

    @api.constrains("intervention_id", "date_start", "date_end")
    def _check_overlap(self):
        for intervention in self.intervention_id:
            segments = intervention.time_ids.sorted(lambda t: (t.date_start, t.id))
            for previous, current in pairwise(segments):
                if not previous.date_end or previous.date_end > current.date_start:
                    raise ValidationError(
                        self.env._(
                            "Time segments of %(name)s overlap: correct their start and end times.",
                            name=intervention.name,
                        )
                    )

    @api.model_create_multi
    def create(self, vals_list):
        segments = super().create(vals_list)
        segments.intervention_id._sync_timesheets()
        return segments

    def write(self, vals):
        res = super().write(vals)
        self.intervention_id._sync_timesheets()
        return res

    def unlink(self):
        interventions = self.intervention_id
        res = super().unlink()
        interventions.exists()._sync_timesheets()
        return res
