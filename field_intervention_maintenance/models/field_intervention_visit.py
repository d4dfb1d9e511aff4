import logging
from datetime import datetime, time, timedelta

import pytz
from psycopg2.errors import SerializationFailure

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_date

from odoo.addons.field_intervention.tools.trusted_write import trusted_write

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "field_intervention.group_field_intervention_manager"
# the visit's window starts at this local hour on its planned day
WINDOW_START_HOUR = 8


class FieldInterventionVisit(models.Model):
    """A visit due under a contract line: planned once per (line, due date) by the scheduled
    action, which creates its mission. The dispatcher assigns and reschedules the mission; the
    due date stays."""

    _name = "field.intervention.visit"
    _description = "Maintenance Visit"
    _inherit = ["field.intervention.protected.mixin"]  # noqa: RUF012
    _order = "planned_date, id"
    _check_company_auto = True

    contract_line_id = fields.Many2one(
        "field.intervention.contract.line", required=True, index=True, ondelete="restrict", readonly=True
    )
    contract_id = fields.Many2one("field.intervention.contract", required=True, index=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    equipment_id = fields.Many2one("field.intervention.equipment", required=True, index=True, readonly=True)
    partner_id = fields.Many2one(related="contract_id.partner_id", string="Customer")
    site_id = fields.Many2one(related="equipment_id.site_id", string="Site")
    due_date = fields.Date(required=True, readonly=True, index=True, help="Date the visit is due by the contract.")
    planned_date = fields.Date(
        compute="_compute_planned_date",
        inverse="_inverse_planned_date",
        store=True,
        index=True,
        help="Day of the visit: the due date until the dispatcher reschedules it.",
    )
    task_id = fields.Many2one("project.task", string="Mission", readonly=True, index="btree_not_null", copy=False)
    user_ids = fields.Many2many(related="task_id.user_ids", string="Technicians")
    state = fields.Selection(
        [("planned", "Planned"), ("done", "Done"), ("cancel", "Cancelled")],
        compute="_compute_state",
        store=True,
        index=True,
    )
    is_overdue = fields.Boolean(
        string="Overdue",
        compute="_compute_is_overdue",
        search="_search_is_overdue",
        help="Past its due date, not done.",
    )

    _sql_constraints = [  # noqa: RUF012
        (
            "line_due_date_unique",
            "UNIQUE(contract_line_id, due_date)",
            "A contract line has one visit per due date.",
        ),
    ]

    @api.depends("equipment_id", "due_date")
    def _compute_display_name(self):
        for visit in self:
            visit.display_name = self.env._(
                "%(equipment)s, due %(date)s",
                equipment=visit.equipment_id.display_name,
                date=format_date(self.env, visit.due_date),
            )

    @api.depends("task_id.planned_date_start")
    def _compute_planned_date(self):
        for visit in self:
            start = visit.task_id.planned_date_start
            if start:
                visit.planned_date = fields.Datetime.context_timestamp(visit._fi_tz_env(), start).date()
            elif not visit.planned_date:
                visit.planned_date = visit.due_date

    def _inverse_planned_date(self):
        for visit in self.filtered("task_id"):
            start, end = visit._fi_window(visit.planned_date)
            visit.task_id.write({"planned_date_start": start, "planned_date_end": end})

    @api.depends("task_id.state", "task_id.intervention_ids.state")
    def _compute_state(self):
        for visit in self:
            interventions = visit.task_id.sudo().intervention_ids
            if any(state not in ("draft", "in_progress", "cancel") for state in interventions.mapped("state")):
                visit.state = "done"
            elif visit.task_id.state == "1_canceled":
                visit.state = "cancel"
            else:
                visit.state = "planned"

    @api.depends("due_date", "state")
    @api.depends_context("tz")  # today is the reader's (context_today)
    def _compute_is_overdue(self):
        today = fields.Date.context_today(self)
        for visit in self:
            visit.is_overdue = visit.state == "planned" and visit.due_date < today

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on the overdue flag."))
        domain = [("state", "=", "planned"), ("due_date", "<", fields.Date.context_today(self))]
        return domain if (operator == "=") == value else ["!", *domain]

    def _fi_user_fields(self):
        fields_ = super()._fi_user_fields()
        if self.env.user.has_group(MANAGER_GROUP):
            fields_.add("planned_date")
        return fields_

    def _fi_protected_hint(self):
        return self.env._("visits are planned by the contracts; the dispatcher reschedules them.")

    def _fi_check_dispatcher(self):
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only the dispatchers reschedule the maintenance visits."))

    def write(self, vals):
        """Rescheduling (a new ``planned_date``) moves the visit's mission; the due date stays."""
        if "planned_date" in vals:
            self._fi_check_dispatcher()
            if any(visit.state != "planned" for visit in self):
                raise UserError(self.env._("Only a planned visit can be rescheduled."))
            if not vals["planned_date"]:
                raise UserError(self.env._("Give the new day of the visit."))
        return super().write(vals)

    @api.readonly
    def action_open_task(self):
        """Open the mission of the visit."""
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": "project.task",
            "res_id": self.task_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    # ------------------------------------------------------------------
    # Planning
    # ------------------------------------------------------------------
    def _fi_tz_env(self):
        """The visit as seen from its site's time zone (the day a visit falls on), whoever
        reads it: the planned day is stored, the window is in the site's hours."""
        tz = (
            self.equipment_id.site_id.tz
            or self.company_id.partner_id.tz
            or self.env.context.get("tz")
            or "Europe/Paris"
        )
        return self.with_context(tz=tz)

    def _fi_window(self, day):
        """Start and end (naive UTC) of the visit's time window on ``day``."""
        self.ensure_one()
        tz = pytz.timezone(self._fi_tz_env().env.context["tz"])
        local_start = tz.localize(datetime.combine(day, time(WINDOW_START_HOUR)))
        start = local_start.astimezone(pytz.utc).replace(tzinfo=None)
        return start, start + timedelta(hours=self.contract_line_id.visit_duration)

    @api.model
    def _fi_insert(self, candidates):
        """Insert the visits of ``candidates`` (contract line, due date) that do not exist yet.

        One ``INSERT ... ON CONFLICT DO NOTHING`` on the unique (contract line, due date): a
        visit another transaction (a second worker) inserts at the same time is waited for,
        then skipped. If that transaction committed after this one's snapshot, PostgreSQL
        (repeatable read) refuses the statement as a serialization failure: those visits exist,
        planned by the other worker, and this call inserts none of them (the next run plans any
        other candidate of the statement).

        :return: the visits this call inserted
        """
        if not candidates:
            return self.browse()
        self.env.flush_all()
        line_ids = [line.id for line, __ in candidates]
        query = SQL(
            """
            INSERT INTO field_intervention_visit (contract_line_id, contract_id, company_id, equipment_id,
                                                  due_date, planned_date, state,
                                                  create_uid, create_date, write_uid, write_date)
                 SELECT line.id, line.contract_id, line.company_id, line.equipment_id,
                        candidate.due_date, candidate.due_date, 'planned',
                        %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
                   FROM unnest(%(lines)s::int[], %(dates)s::date[]) AS candidate(line_id, due_date)
                   JOIN field_intervention_contract_line line ON line.id = candidate.line_id
            ON CONFLICT (contract_line_id, due_date) DO NOTHING
              RETURNING id
            """,
            uid=self.env.uid,
            lines=line_ids,
            dates=[due for __, due in candidates],
        )
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(query, log_exceptions=False)
                ids = [row[0] for row in self.env.cr.fetchall()]
        except SerializationFailure:
            _logger.info("Visits of contract lines %s planned by a concurrent transaction.", sorted(set(line_ids)))
            return self.browse()
        # inserted in SQL: the cached lists of visits of the contracts are stale
        self.env["field.intervention.contract"].invalidate_model(["visit_ids"])
        return self.browse(ids)

    def _fi_cancel(self):
        """Cancel the visits whose intervention has not started, with their missions and draft
        interventions (with the caller's rights); a started one is left to its technician."""
        tasks = self.task_id
        interventions = tasks.intervention_ids
        started = interventions.filtered(lambda rec: rec.state not in ("draft", "cancel")).task_id
        interventions.filtered(lambda rec: rec.state == "draft" and rec.task_id not in started).action_cancel()
        (tasks - started).write({"state": "1_canceled"})

    def _fi_prepare_task_values(self):
        """Values of the mission of the visit (hook)."""
        self.ensure_one()
        contract, equipment = self.contract_id, self.equipment_id
        start, end = self._fi_window(self.due_date)
        # the mission speaks the company's language, whoever plans it (the scheduled action runs
        # in its user's language, the administrator's English on a fresh database)
        lang = self.company_id.partner_id.lang or self.env.lang
        return {
            "name": self.with_context(lang=lang).env._("Maintenance: %(equipment)s", equipment=equipment.display_name),
            "project_id": contract.project_id.id,
            "company_id": self.company_id.id,
            "partner_id": contract.partner_id.id,
            "intervention_site_id": equipment.site_id.id,
            # a default technician archived since the contract was signed gets no new mission
            "user_ids": [(6, 0, contract.user_id.filtered("active").ids)],
            "planned_date_start": start,
            "planned_date_end": end,
            "date_deadline": self.due_date,
            "fi_equipment_ids": [(6, 0, equipment.ids)],
            "description": self.contract_line_id.note or False,
        }

    def _fi_create_missions(self):
        """Create the missions of the visits (called by the planning, which runs as the
        application), and the intervention of those that have a technician already."""
        visits = self.filtered(lambda visit: not visit.task_id)
        if not visits:
            return self.env["project.task"]
        tasks = (
            self.env["project.task"]
            .with_context(mail_create_nolog=True)
            .create([visit._fi_prepare_task_values() for visit in visits])
        )
        with trusted_write():
            for visit, task in zip(visits, tasks, strict=True):
                visit.task_id = task
        tasks.filtered("user_ids")._fi_create_interventions()
        return tasks
