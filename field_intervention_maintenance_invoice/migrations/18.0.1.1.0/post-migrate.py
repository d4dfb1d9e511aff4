"""18.0.1.1.0: the contracts' fees are invoiced by a scheduled action, each period when it starts.
The contracts already running in an existing database were billed outside this addon so far: their
periods started before the upgrade are recorded as billed (a fee period without invoice), so that
the first run does not invoice their past again; the periods starting from now on are invoiced.
The fee product's income account is set (706 on the French chart), as on a new install."""

from odoo import SUPERUSER_ID, api, fields

from odoo.addons.field_intervention_maintenance_invoice.hooks import set_fee_income_accounts


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
    set_fee_income_accounts(env)
    Contract = env["field.intervention.contract"]
    contracts = Contract.search([("state", "=", "running")])
    for company in contracts.company_id:
        company_contracts = contracts.filtered(lambda contract, company=company: contract.company_id == company)
        today = fields.Date.context_today(Contract.with_company(company))
        env["field.intervention.contract.fee"]._fi_insert(company_contracts._fi_fee_candidates(today))
