def set_fee_income_accounts(env):
    """The shipped fee product sells a service: on the French chart, its income account is 706
    (services supplied), not the product category's 707 (goods), in every company that has it.
    A company whose chart is set up later keeps the category's until it is set on the product."""
    product = env.ref("field_intervention_maintenance_invoice.product_contract_fee", raise_if_not_found=False)
    if not product:
        return
    for company in env["res.company"].search([("chart_template", "=", "fr")]):
        account = env["account.chart.template"].with_company(company).ref("pcg_706", raise_if_not_found=False)
        product_company = product.with_company(company)
        if account and not product_company.property_account_income_id:
            product_company.property_account_income_id = account


def post_init_hook(env):
    set_fee_income_accounts(env)
