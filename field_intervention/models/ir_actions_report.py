from odoo import models

INTERVENTION_REPORTS = ("field_intervention.report_field_intervention",)


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _prepare_html(self, html, report_model=False):
        """The intervention report carries the company identity in its body and has no
        header/footer: do not hand empty ones to wkhtmltopdf, whose Debian build (unpatched
        Qt) ignores them and warns."""
        bodies, res_ids, header, footer, paperformat_args = super()._prepare_html(html, report_model=report_model)
        if self.report_name in INTERVENTION_REPORTS:
            header = footer = None
        return bodies, res_ids, header, footer, paperformat_args
