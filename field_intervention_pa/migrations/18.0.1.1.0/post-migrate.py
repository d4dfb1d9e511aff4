"""18.0.1.1.0: the to-cash dashboard is refreshed by field_intervention_invoice's single
dashboards action (one cron worker for all the views, one after the other): this addon's own
scheduled action is removed."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    cron = env.ref("field_intervention_pa.ir_cron_field_intervention_cash_kpi_refresh", raise_if_not_found=False)
    if cron:
        cron.unlink()
