from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import FieldInterventionCommon


@tagged("-at_install", "post_install")
class TestTimesheet(FieldInterventionCommon):
    def _lines(self, intervention):
        return self.env["account.analytic.line"].search([("intervention_id", "=", intervention.id)])

    def test_pauses_two_technicians(self):
        intervention = self._create_intervention(
            technician_ids=[Command.set((self.tech_a | self.tech_b).ids)]
        ).with_user(self.tech_a)
        with freeze_time("2026-03-02 07:00:00"):
            intervention.action_start()
        with freeze_time("2026-03-02 09:00:00"):
            intervention.action_pause()
        lines = self._lines(intervention)
        self.assertEqual(len(lines), 2)
        self.assertEqual(lines.mapped("unit_amount"), [2.0, 2.0])
        with freeze_time("2026-03-02 10:00:00"):
            intervention.action_resume()
        with freeze_time("2026-03-02 11:30:00"):
            intervention.action_stop()
        lines = self._lines(intervention)
        self.assertEqual(len(lines), 2, "still one line per technician, nothing counted twice")
        self.assertEqual(lines.user_id, self.tech_a | self.tech_b)
        for line in lines:
            self.assertAlmostEqual(line.unit_amount, 3.5, msg="the one-hour pause is not counted")
            self.assertEqual(line.task_id, self.task)
            self.assertEqual(line.project_id, self.project)
            self.assertEqual(line.name, intervention.name)
            self.assertEqual(str(line.date), "2026-03-02")
            self.assertEqual(line.employee_id.user_id, line.user_id)
        self.assertAlmostEqual(intervention.pause_duration, 1.0)
        self.assertAlmostEqual(self.task.sudo().effective_hours, 7.0)
        self.assertEqual(intervention.timesheet_ids, lines)

    def test_edit_times_and_technicians(self):
        intervention = self._create_intervention(
            technician_ids=[Command.set((self.tech_a | self.tech_b).ids)],
            time_ids=[Command.create({"date_start": "2026-03-02 08:00:00", "date_end": "2026-03-02 10:00:00"})],
            state="in_progress",
        )
        self.assertEqual(self._lines(intervention).mapped("unit_amount"), [2.0, 2.0])
        # correcting a segment keeps the timesheets in sync
        intervention.with_user(self.tech_a).time_ids.date_end = "2026-03-02 09:00:00"
        self.assertEqual(self._lines(intervention).mapped("unit_amount"), [1.0, 1.0])
        # a second segment the next day is added, the service date stays the first day
        intervention.write(
            {
                "time_ids": [
                    Command.create(
                        {
                            "date_start": "2026-03-03 08:00:00",
                            "date_end": "2026-03-03 08:30:00",
                        }
                    )
                ]
            }
        )
        self.assertEqual(self._lines(intervention).mapped("unit_amount"), [1.5, 1.5])
        # a technician leaves: his timesheet goes
        intervention.technician_ids = [Command.unlink(self.tech_b.id)]
        lines = self._lines(intervention)
        self.assertEqual(lines.user_id, self.tech_a)
        self.assertAlmostEqual(lines.unit_amount, 1.5)
        # removing all time removes the timesheets
        intervention.time_ids.unlink()
        self.assertFalse(self._lines(intervention))

    def test_cancel_removes_timesheets(self):
        intervention = self._create_intervention(
            time_ids=[Command.create({"date_start": "2026-03-02 08:00:00", "date_end": "2026-03-02 10:00:00"})],
            state="in_progress",
        )
        self.assertTrue(self._lines(intervention))
        intervention.with_user(self.tech_a).action_cancel()
        self.assertFalse(self._lines(intervention))

    def test_manager_sync(self):
        """A manager records time for a technician: the timesheet is the technician's."""
        intervention = self._create_intervention().with_user(self.manager)
        intervention.write(
            {
                "time_ids": [Command.create({"date_start": "2026-03-02 08:00:00", "date_end": "2026-03-02 08:45:00"})],
            }
        )
        lines = self._lines(intervention)
        self.assertEqual(lines.user_id, self.tech_a)
        self.assertAlmostEqual(lines.unit_amount, 0.75)

    def test_duplicate_timesheet(self):
        """A user duplicating a timesheet line (core's Duplicate, sale_timesheet's edits of
        invoiced lines) gets an ordinary timesheet: the copy is never linked to an intervention,
        and linking one by hand stays refused."""
        intervention = self._create_intervention(
            time_ids=[Command.create({"date_start": "2026-03-02 08:00:00", "date_end": "2026-03-02 10:00:00"})],
            state="in_progress",
        )
        Timesheet = self.env["account.analytic.line"].with_user(self.tech_a)
        ordinary = Timesheet.create(
            {"name": "Préparation", "project_id": self.project.id, "task_id": self.task.id, "unit_amount": 0.5}
        )
        ordinary_copy = ordinary.copy()
        self.assertEqual((ordinary_copy.task_id, ordinary_copy.unit_amount), (self.task, 0.5))
        line = self._lines(intervention).with_user(self.tech_a)
        line_copy = line.copy()
        self.assertFalse(line_copy.intervention_id)
        self.assertEqual(self._lines(intervention), line, "the intervention's time is counted once")
        with self.assertRaisesRegex(AccessError, "cannot be set directly"):
            Timesheet.create({"name": "x", "task_id": self.task.id, "intervention_id": intervention.id})
        with self.assertRaisesRegex(AccessError, "cannot be set directly"):
            ordinary.write({"intervention_id": intervention.id})
