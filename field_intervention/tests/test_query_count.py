import logging

from odoo import Command, fields
from odoo.tests import tagged

from .common import FieldInterventionCommon

_logger = logging.getLogger(__name__)

KANBAN_SPEC = {
    "name": {},
    "state": {},
    "timer_state": {},
    "site_phone": {},
    "site_map_url": {},
    "planned_date": {},
    "planned_date_end": {},
    "partner_id": {"fields": {"display_name": {}}},
    "site_id": {"fields": {"display_name": {}}},
    "task_id": {"fields": {"display_name": {}}},
    "technician_ids": {"fields": {"display_name": {}}},
}

FORM_SPEC = {
    "name": {},
    "state": {},
    "timer_state": {},
    "is_running": {},
    "is_locked": {},
    "photo_count": {},
    "task_id": {"fields": {"display_name": {}}},
    "project_id": {"fields": {"display_name": {}}},
    "partner_id": {"fields": {"display_name": {}}},
    "site_id": {"fields": {"display_name": {}}},
    "site_phone": {},
    "site_map_url": {},
    "technician_ids": {"fields": {"display_name": {}}},
    "company_id": {"fields": {"display_name": {}}},
    "planned_date": {},
    "date_start": {},
    "date_end": {},
    "duration": {},
    "pause_duration": {},
    "travel_duration": {},
    "travel_distance": {},
    "work_description": {},
    "findings": {},
    "checklist_line_ids": {"fields": {"sequence": {}, "name": {}, "result": {}, "note": {}}},
    "part_ids": {
        "fields": {
            "sequence": {},
            "name": {},
            "quantity": {},
            "product_id": {"fields": {"display_name": {}}},
            "product_uom_id": {"fields": {"display_name": {}}},
            "product_uom_category_id": {"fields": {}},
            "company_id": {"fields": {}},
        }
    },
    "photo_ids": {"fields": {"image_256": {}, "name": {}}},
    "time_ids": {"fields": {"date_start": {}, "date_end": {}, "duration": {}}},
    "timesheet_ids": {
        "fields": {
            "date": {},
            "name": {},
            "unit_amount": {},
            "employee_id": {"fields": {"display_name": {}}},
        }
    },
}


@tagged("-at_install", "post_install")
class TestQueryCount(FieldInterventionCommon):
    """The technician's kanban and the form cost a number of queries independent of the volume."""

    def _make(self, count):
        today = fields.Datetime.now().replace(hour=9, minute=0, second=0, microsecond=0)
        vals_list = [
            {
                "task_id": self.task.id,
                "technician_ids": [Command.set((self.tech_a | self.tech_b).ids)],
                "planned_date": today,
                "part_ids": [Command.create({"product_id": self.part_product.id, "quantity": 1 + i % 3})],
                "time_ids": [Command.create({"date_start": today, "date_end": today.replace(hour=10)})],
                "work_description": f"Travaux {i}",
            }
            for i in range(count)
        ]
        return self.env["field.intervention"].create(vals_list)

    def _count_queries(self, func):
        func()  # warm the registry caches (rules, views, translations)
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        func()
        return self.env.cr.sql_log_count - before

    def _measure(self, intervention):
        Intervention = self.env["field.intervention"].with_user(self.tech_a).with_context(bin_size=True)
        domain = [
            ("technician_ids", "in", [self.tech_a.id]),
            "|",
            ("intervention_date", "=", fields.Date.context_today(Intervention)),
            ("state", "=", "in_progress"),
        ]
        kanban = self._count_queries(
            lambda: Intervention.web_search_read(domain, KANBAN_SPEC, limit=80, count_limit=10001)
        )
        form = self._count_queries(lambda: Intervention.browse(intervention.id).web_read(FORM_SPEC))
        return kanban, form

    def test_query_count_10_vs_500(self):
        first = self._make(10)
        small = self._measure(first[0])
        self._make(490)
        large = self._measure(first[0])
        _logger.info(
            "field_intervention query counts: kanban %s (10) vs %s (500), form %s (10) vs %s (500)",
            small[0],
            large[0],
            small[1],
            large[1],
        )
        self.assertEqual(
            large[0], small[0], "the 'My interventions' kanban must not cost more queries with more interventions"
        )
        self.assertEqual(large[1], small[1], "the intervention form must not cost more queries with more interventions")
        self.assertLessEqual(small[0], 15)
        self.assertLessEqual(small[1], 30)
