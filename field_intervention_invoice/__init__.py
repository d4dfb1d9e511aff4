from odoo.tools import sql

from . import models


def uninstall_hook(env):
    """Drop the dashboard's materialized view (the ORM drops tables and plain views only)."""
    sql.drop_view_if_exists(env.cr, env["field.intervention.invoice.kpi"]._table)
