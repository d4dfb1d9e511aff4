from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..tools.trusted_write import trusted_write
from .project_task import osm_search_url

# timesheet values that follow the intervention once the line exists
TIMESHEET_SYNCED_FIELDS = ("name", "task_id", "date", "unit_amount", "employee_id")


class FieldIntervention(models.Model):
    _name = "field.intervention"
    _description = "Field Intervention"
    _inherit = [  # noqa: RUF012
        "field.intervention.protected.mixin",
        "portal.mixin",
        "mail.thread",
        "mail.activity.mixin",
    ]
    _order = "planned_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Number",
        required=True,
        copy=False,
        readonly=True,
        index="trigram",
        default="/",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        compute="_compute_company_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    task_id = fields.Many2one(
        "project.task",
        string="Mission",
        required=True,
        index=True,
        tracking=True,
        ondelete="restrict",
        check_company=True,
        domain="[('is_field_service', '=', True)]",
    )
    project_id = fields.Many2one(
        "project.project", related="task_id.project_id", store=True, index=True, string="Project"
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        index=True,
        tracking=True,
        check_company=True,
        compute="_compute_partner_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    site_id = fields.Many2one(
        "res.partner",
        string="Intervention Site",
        check_company=True,
        compute="_compute_site_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    site_phone = fields.Char(related="site_id.phone", string="Site Phone")
    site_mobile = fields.Char(related="site_id.mobile", string="Site Mobile")
    site_map_url = fields.Char(string="Map Link", compute="_compute_site_map_url")
    technician_ids = fields.Many2many(
        "res.users",
        "field_intervention_res_users_rel",
        "intervention_id",
        "user_id",
        string="Technicians",
        tracking=True,
        compute="_compute_technician_ids",
        store=True,
        readonly=False,
        precompute=True,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
    )
    planned_date = fields.Datetime(
        index=True,
        tracking=True,
        compute="_compute_planned_date",
        store=True,
        readonly=False,
        precompute=True,
    )
    planned_date_end = fields.Datetime(related="task_id.planned_date_end", string="Planned End")
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("in_progress", "In Progress"),
            ("done", "Done"),
            ("cancel", "Cancelled"),
        ],
        string="Status",
        required=True,
        default="draft",
        copy=False,
        tracking=True,
        index=True,
    )
    timer_state = fields.Selection(
        [("stopped", "Stopped"), ("running", "Running"), ("paused", "Paused")],
        string="Timer",
        required=True,
        default="stopped",
        copy=False,
    )
    is_running = fields.Boolean(
        string="Timer Running",
        compute="_compute_times",
        store=True,
        help="An open time segment exists.",
    )
    time_ids = fields.One2many("field.intervention.time", "intervention_id", string="Time Segments", copy=False)
    date_start = fields.Datetime(string="Actual Start", compute="_compute_date_start", store=True)
    date_end = fields.Datetime(string="Actual End", compute="_compute_times", store=True)
    duration = fields.Float(
        string="Worked Time",
        compute="_compute_times",
        store=True,
        aggregator="sum",
        help="Worked hours, pauses excluded (per technician).",
    )
    pause_duration = fields.Float(
        string="Pauses",
        compute="_compute_times",
        store=True,
        aggregator="sum",
        help="Hours between the first start and the last stop that were not worked.",
    )
    intervention_date = fields.Date(
        string="Service Date",
        compute="_compute_intervention_date",
        store=True,
        index=True,
        help="Day of the actual start, else of the planned date. It is the date of the service on the invoice.",
    )
    travel_duration = fields.Float(string="Travel Time", help="Travel time in hours.")
    travel_distance = fields.Float(string="Travel Distance (km)")
    work_description = fields.Text(string="Work Done")
    findings = fields.Text(string="Findings and Recommendations")
    checklist_line_ids = fields.One2many(
        "field.intervention.checklist.line", "intervention_id", string="Checklist", copy=True
    )
    part_ids = fields.One2many("field.intervention.part", "intervention_id", string="Parts", copy=True)
    photo_ids = fields.One2many("field.intervention.photo", "intervention_id", string="Photos", copy=False)
    timesheet_ids = fields.One2many(
        "account.analytic.line", "intervention_id", string="Timesheets", copy=False, readonly=True
    )
    is_locked = fields.Boolean(
        string="Report Locked",
        compute="_compute_is_locked",
        help="The report content can no longer change in this state.",
    )
    photo_count = fields.Integer(compute="_compute_photo_count")

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------
    @api.depends("task_id")
    def _compute_company_id(self):
        for rec in self:
            rec.company_id = rec.task_id.company_id or rec.company_id or self.env.company

    @api.depends("task_id")
    def _compute_partner_id(self):
        for rec in self:
            if rec.task_id.partner_id:
                rec.partner_id = rec.task_id.partner_id

    @api.depends("task_id", "partner_id")
    def _compute_site_id(self):
        for rec in self:
            rec.site_id = rec.task_id.intervention_site_id or rec.partner_id

    @api.depends("task_id")
    def _compute_technician_ids(self):
        for rec in self:
            if not rec.technician_ids:
                rec.technician_ids = (rec.task_id.user_ids or self.env.user).filtered(rec._fi_is_technician)

    @api.depends("task_id")
    def _compute_planned_date(self):
        for rec in self:
            if not rec.planned_date:
                rec.planned_date = rec.task_id.planned_date_start or fields.Datetime.now()

    @api.depends("site_id.street", "site_id.zip", "site_id.city", "site_id.country_id")
    def _compute_site_map_url(self):
        for rec in self:
            rec.site_map_url = osm_search_url(rec.site_id)

    @api.depends("time_ids.date_start")
    def _compute_date_start(self):
        # apart from the other times: closing a segment (Pause, Stop) moves neither the actual
        # start nor the service date computed from it
        for rec in self:
            starts = rec.time_ids.mapped("date_start")
            rec.date_start = min(starts) if starts else False

    @api.depends("date_start", "time_ids.date_end", "time_ids.duration")
    def _compute_times(self):
        for rec in self:
            segments = rec.time_ids
            ends = segments.mapped("date_end")
            rec.is_running = any(not s.date_end for s in segments)
            rec.date_end = max(ends) if ends and not rec.is_running else False
            rec.duration = sum(segments.mapped("duration"))
            if rec.date_start and rec.date_end:
                span = (rec.date_end - rec.date_start).total_seconds() / 3600.0
                rec.pause_duration = max(span - rec.duration, 0.0)
            else:
                rec.pause_duration = 0.0

    @api.depends("date_start", "planned_date")
    def _compute_intervention_date(self):
        for rec in self:
            moment = rec.date_start or rec.planned_date
            rec.intervention_date = fields.Datetime.context_timestamp(rec, moment).date() if moment else False

    @api.depends("state")
    def _compute_is_locked(self):
        for rec in self:
            rec.is_locked = rec.state in rec._get_locked_states()

    @api.depends("photo_ids")
    def _compute_photo_count(self):
        for rec in self:
            rec.photo_count = len(rec.photo_ids)

    def _compute_access_url(self):
        res = super()._compute_access_url()
        for rec in self:
            rec.access_url = f"/my/interventions/{rec.id}"
        return res

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------
    @api.constrains("task_id")
    def _check_task_field_service(self):
        for rec in self:
            if not rec.task_id.is_field_service:
                raise ValidationError(
                    self.env._(
                        "Mission %(task)s is not in a field service project: flag its project as field service first.",
                        task=rec.task_id.display_name,
                    )
                )

    @api.constrains("technician_ids")
    def _check_technicians(self):
        for rec in self:
            others = rec.technician_ids - rec.technician_ids.filtered(rec._fi_is_technician)
            if others:
                raise ValidationError(
                    self.env._(
                        "%(users)s cannot work on %(name)s: only field service technicians can be technicians of an"
                        " intervention (Field Service > Technician access right).",
                        users=", ".join(others.mapped("name")),
                        name=rec.name,
                    )
                )

    def _fi_is_technician(self, user):
        """A field service technician (internal user with the technician access) of the
        intervention's company."""
        return (
            not user.share
            and user._has_group("field_intervention.group_field_intervention_technician")
            and (not self.company_id or self.company_id in user.company_ids)
        )

    @api.constrains("travel_duration", "travel_distance")
    def _check_travel(self):
        for rec in self:
            if rec.travel_duration < 0 or rec.travel_distance < 0:
                raise ValidationError(
                    self.env._("Travel time and distance of %(name)s cannot be negative.", name=rec.name)
                )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        with trusted_write():
            for rec in records.filtered(lambda r: r.name == "/"):
                rec.name = rec._next_sequence_number()
        records._fill_checklist_from_template()
        records.filtered("time_ids")._sync_timesheets()
        return records

    def write(self, vals):
        content_fields = self._get_content_fields()
        if content_fields.intersection(vals):
            self._check_content_editable()
        res = super().write(vals)
        if {"technician_ids", "task_id", "time_ids", "planned_date"}.intersection(vals):
            self._sync_timesheets()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_started(self):
        if any(rec.state not in ("draft", "cancel") for rec in self):
            raise UserError(
                self.env._("Only draft or cancelled interventions can be deleted. Cancel the intervention first.")
            )

    def unlink(self):
        timesheets_sudo = self.sudo().timesheet_ids
        res = super().unlink()
        timesheets_sudo.exists().unlink()
        return res

    def _get_report_base_filename(self):
        self.ensure_one()
        number = (self.name or "").replace("/", "-")
        customer = self.partner_id.commercial_partner_id.name or self.partner_id.name
        return f"{number} - {customer}" if customer else number

    # ------------------------------------------------------------------
    # Lock hooks (extended by field_intervention_sign)
    # ------------------------------------------------------------------
    def _get_locked_states(self):
        """States in which the report content can no longer change."""
        return ["done", "cancel"]

    def _get_content_fields(self):
        """Names of the intervention fields that are part of the report content."""
        return {
            "task_id",
            "partner_id",
            "site_id",
            "technician_ids",
            "planned_date",
            "company_id",
            "time_ids",
            "travel_duration",
            "travel_distance",
            "work_description",
            "findings",
            "checklist_line_ids",
            "part_ids",
            "photo_ids",
        }

    def _fi_get_signed_extra(self):
        """What other addons add to the content the customer signs (hook): a dict of
        language-neutral JSON values that field_intervention_sign adds to the signed content,
        beside the report's own keys. Return a key only for the reports it applies to: the
        content of the others (and the hash of those signed before) stays the same."""
        self.ensure_one()
        return {}

    def _check_content_editable(self):
        """Raise a UserError if the content of one of the interventions is locked."""
        locked = self.filtered(lambda rec: rec.state in rec._get_locked_states())
        if locked:
            raise UserError(
                self.env._(
                    "Intervention %(name)s is %(state)s: its report can no longer be modified. "
                    "Reopen it (if allowed) or create a new intervention.",
                    name=locked[0].name,
                    state=locked[0]._fi_state_label(),
                )
            )

    # ------------------------------------------------------------------
    # Protected fields (see field.intervention.protected.mixin)
    # ------------------------------------------------------------------
    def _fi_user_fields(self):
        """Technicians and dispatchers write the report content (while it is not locked);
        the status, the number, the timer and the computed values move only through the
        intervention's own actions."""
        fields_ = super()._fi_user_fields()
        if self.env.user.has_group("field_intervention.group_field_intervention_technician"):
            fields_ |= self._get_content_fields()
        return fields_

    def _fi_protected_hint(self):
        return self.env._(
            "use the intervention's buttons (Start, Pause, Stop, Done, Cancel...) or its report fields instead."
        )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def _fi_state_label(self):
        self.ensure_one()
        return dict(self._fields["state"]._description_selection(self.env)).get(self.state, self.state)

    def _check_state(self, allowed, message):
        """Raise ``message`` (translated, with %(name)s and %(state)s placeholders) if one of the
        interventions is not in one of the ``allowed`` states."""
        wrong = self.filtered(lambda rec: rec.state not in allowed)
        if wrong:
            raise UserError(message % {"name": wrong[0].name, "state": wrong[0]._fi_state_label()})

    def _fi_set_workflow(self, vals):
        """Write workflow values (status, timer) after the caller's checks: the only way they move.
        The write runs with the user's rights: access rules still apply."""
        self._fi_check_field_user()
        with trusted_write():
            return self.write(vals)

    def _fi_check_field_user(self):
        """The steps of a report (and having the customer sign it) belong to the field service:
        its technicians and dispatchers. Billing and the other employees only read it."""
        if not self.env.su and not self.env.user.has_group("field_intervention.group_field_intervention_technician"):
            raise AccessError(
                self.env._("Only the technicians and the dispatchers move an intervention through its steps.")
            )

    def _open_segment(self, moment=None):
        moment = moment or fields.Datetime.now()
        self.env["field.intervention.time"].create([{"intervention_id": rec.id, "date_start": moment} for rec in self])

    def _close_segment(self, moment=None):
        moment = moment or fields.Datetime.now()
        open_segments = self.time_ids.filtered(lambda t: not t.date_end)
        open_segments.write({"date_end": moment})

    def action_start(self):
        """Start the intervention: draft -> in progress, the timer runs."""
        return self._fi_start()

    def _fi_start(self, moment=None):
        self._check_state(["draft"], self.env._("Only a draft intervention can be started: %(name)s is %(state)s."))
        self._check_technician_employees()
        self._fi_set_workflow({"state": "in_progress", "timer_state": "running"})
        self._open_segment(moment)
        return True

    def action_pause(self):
        """Pause the timer: the pause is not counted as worked time."""
        return self._fi_pause()

    def _fi_pause(self, moment=None):
        self._check_state(
            ["in_progress"], self.env._("Only an intervention in progress can be paused: %(name)s is %(state)s.")
        )
        not_running = self.filtered(lambda r: r.timer_state != "running")
        if not_running:
            raise UserError(
                self.env._(
                    "The timer of %(name)s is not running: press Start or Resume first.", name=not_running[0].name
                )
            )
        self._close_segment(moment)
        self._fi_set_workflow({"timer_state": "paused"})
        return True

    def action_resume(self):
        """Resume the timer after a pause or a stop."""
        return self._fi_resume()

    def _fi_resume(self, moment=None):
        self._check_state(
            ["in_progress"], self.env._("Only an intervention in progress can be resumed: %(name)s is %(state)s.")
        )
        running = self.filtered(lambda r: r.timer_state == "running")
        if running:
            raise UserError(self.env._("The timer of %(name)s is already running.", name=running[0].name))
        self._fi_set_workflow({"timer_state": "running"})
        self._open_segment(moment)
        return True

    def action_stop(self):
        """Stop the timer; the intervention stays in progress until marked done."""
        return self._fi_stop()

    def _fi_stop(self, moment=None):
        for rec in self:
            if rec.state != "in_progress" or rec.timer_state == "stopped":
                raise UserError(
                    self.env._("The timer of %(name)s is not running: press Start before Stop.", name=rec.name)
                )
        self._close_segment(moment)
        self._fi_set_workflow({"timer_state": "stopped"})
        return True

    def action_done(self):
        """Mark the intervention done (ready for the customer).

        From in progress (timer stopped), or straight from draft when the time was entered by
        hand afterwards (the technician worked without the timer)."""
        self._check_state(
            ["draft", "in_progress"],
            self.env._("Only a draft or in progress intervention can be marked done: %(name)s is %(state)s."),
        )
        for rec in self:
            if rec.timer_state != "stopped" or rec.is_running:
                raise UserError(self.env._("Stop the timer of %(name)s before marking it done.", name=rec.name))
            if not rec.duration:
                raise UserError(
                    self.env._(
                        "No time is recorded on %(name)s: press Start and Stop, or add a time segment.", name=rec.name
                    )
                )
            if not (rec.work_description or "").strip():
                raise UserError(self.env._("Describe the work done on %(name)s before marking it done.", name=rec.name))
        self.filtered(lambda rec: rec.state == "draft")._check_technician_employees()
        self._sync_timesheets()
        self._fi_set_workflow({"state": "done"})
        return True

    def action_cancel(self):
        """Cancel the intervention; its timesheets are removed."""
        self._check_state(
            ["draft", "in_progress"],
            self.env._("Only a draft or in progress intervention can be cancelled: %(name)s is %(state)s."),
        )
        self.check_access("write")
        # cancelled work is not counted: drop the timesheets while the content is still editable
        self.sudo().timesheet_ids.unlink()
        self._close_segment()
        self._fi_set_workflow({"state": "cancel", "timer_state": "stopped"})
        return True

    def action_reopen(self):
        """Reopen a done intervention to correct it (it will be presented for signature again)."""
        self._check_state(["done"], self.env._("Only a done intervention can be reopened: %(name)s is %(state)s."))
        self._fi_set_workflow({"state": "in_progress"})
        return True

    def action_reset_draft(self):
        """Set a cancelled intervention back to draft."""
        self._check_state(
            ["cancel"], self.env._("Only a cancelled intervention can be reset to draft: %(name)s is %(state)s.")
        )
        self._fi_set_workflow({"state": "draft"})
        return True

    @api.readonly
    def action_view_photos(self):
        """The photos of the report in the back office (customers see them in the portal)."""
        self.ensure_one()
        self.check_access("read")
        if self.env.user.share:
            raise AccessError(self.env._("The photos are shown with the report in the customer portal."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Photos"),
            "res_model": "field.intervention.photo",
            "view_mode": "kanban,form",
            "domain": [("intervention_id", "=", self.id)],
            "context": {"default_intervention_id": self.id},
        }

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------
    def _next_sequence_number(self):
        """Next number of the company's intervention sequence (created on the fly for new companies)."""
        self.ensure_one()
        sequence_sudo = (
            self.env["ir.sequence"]
            .sudo()
            .search([("code", "=", "field.intervention"), ("company_id", "=", self.company_id.id)], limit=1)
        )
        if not sequence_sudo:
            sequence_sudo = (
                self.env["ir.sequence"]
                .sudo()
                .create(
                    {
                        "name": self.env._("Intervention %(company)s", company=self.company_id.name),
                        "code": "field.intervention",
                        "prefix": "BI/%(year)s/",
                        "padding": 5,
                        "use_date_range": True,
                        "company_id": self.company_id.id,
                    }
                )
            )
        return sequence_sudo.next_by_id()

    def _fill_checklist_from_template(self):
        vals_list = []
        for rec in self.filtered(lambda r: not r.checklist_line_ids):
            vals_list += [
                {"intervention_id": rec.id, "name": item.name, "sequence": item.sequence}
                for item in rec.project_id.checklist_template_ids
            ]
        if vals_list:
            self.env["field.intervention.checklist.line"].create(vals_list)

    def _get_technician_employees(self):
        """Map (user id, company id) -> employee id for the technicians of the interventions."""
        # one query: the full employee record (and its field access checks) is not needed
        employees_sudo = (
            self.env["hr.employee"]
            .sudo()
            .search_fetch(
                [
                    ("user_id", "in", self.technician_ids.ids),
                    ("company_id", "in", self.company_id.ids),
                ],
                ["user_id", "company_id"],
            )
        )
        return {(emp.user_id.id, emp.company_id.id): emp.id for emp in employees_sudo}

    def _check_technician_employees(self):
        employee_map = self._get_technician_employees()
        for rec in self:
            for user in rec.technician_ids:
                if (user.id, rec.company_id.id) not in employee_map:
                    raise UserError(
                        self.env._(
                            "Technician %(user)s has no employee in company %(company)s: "
                            "ask a manager to create one so that the time can be recorded.",
                            user=user.name,
                            company=rec.company_id.name,
                        )
                    )

    def _prepare_timesheet_values(self, user, employee_id):
        self.ensure_one()
        return {
            "name": self.name,
            "intervention_id": self.id,
            "task_id": self.task_id.id,
            "project_id": self.project_id.id,
            "employee_id": employee_id,
            "user_id": user.id,
            "company_id": self.company_id.id,
            "date": self.intervention_date or fields.Date.context_today(self),
            "unit_amount": self.duration,
        }

    def _sync_timesheets(self):
        """Keep one timesheet per (intervention, technician) with the worked duration.

        Access to the interventions is checked first; the timesheets of the other technicians are
        then written as superuser (a technician may not write timesheets of a colleague).
        """
        if not self:
            return
        self.check_access("write")
        AnalyticLine_sudo = (
            self.env["account.analytic.line"].sudo().with_context(allowed_company_ids=self.company_id.ids)
        )
        # the compared values come with the search (one query, not one more per field read)
        lines_sudo = AnalyticLine_sudo.search_fetch(
            [("intervention_id", "in", self.ids)], ["intervention_id", "user_id", *TIMESHEET_SYNCED_FIELDS]
        )
        existing = defaultdict(lambda: AnalyticLine_sudo)
        for line in lines_sudo:
            existing[(line.intervention_id.id, line.user_id.id)] |= line
        employee_map = self._get_technician_employees()
        to_create, to_unlink = [], AnalyticLine_sudo
        for rec in self:
            wanted = rec.technician_ids if rec.state != "cancel" and rec.duration else self.env["res.users"]
            for user in wanted:
                employee_id = employee_map.get((user.id, rec.company_id.id))
                if not employee_id:
                    continue
                vals = rec._prepare_timesheet_values(user, employee_id)
                lines = existing.pop((rec.id, user.id), AnalyticLine_sudo)
                if not lines:
                    to_create.append(vals)
                    continue
                to_unlink |= lines[1:]
                line = lines[0]
                changed = {
                    key: value
                    for key, value in vals.items()
                    if key in TIMESHEET_SYNCED_FIELDS and line._fields[key].convert_to_write(line[key], line) != value
                }
                if changed:
                    line.write(changed)
        for lines in existing.values():
            to_unlink |= lines
        if to_unlink:
            to_unlink.unlink()
        if to_create:
            AnalyticLine_sudo.create(to_create)
