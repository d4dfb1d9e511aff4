"""18.0.1.2.0: one scheduled action refreshes every dashboard, one after the other (it was one
per dashboard: both ran at the same time and took Odoo's two default cron workers, delaying the
signatures' draft invoices). The action is noupdate data: an existing database gets its new
model and code here; field_intervention_pa drops its own."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    xmlid = "field_intervention_invoice.ir_cron_field_intervention_invoice_kpi_refresh"
    cron = env.ref(xmlid, raise_if_not_found=False)
    if cron:
        cron.write(
            {
                "name": "Field Service: refresh the dashboards",
                "model_id": env["ir.model"]._get_id("field.intervention.kpi.mview"),
                "code": "model._cron_fi_refresh_dashboards()",
            }
        )
