from odoo import api, models
from odoo.exceptions import UserError

CONTENT_KEYS = ("datas", "raw", "db_datas", "store_fname", "checksum")
LINK_KEYS = ("res_model", "res_id", "res_field")


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    def _fi_signed_pdf_attachments(self):
        """The attachments of ``self`` that are signed PDFs kept as evidence."""
        if not self:
            return self
        signatures_sudo = (
            self.env["field.intervention.signature"].sudo().search([("pdf_attachment_id", "in", self.ids)])
        )
        return signatures_sudo.pdf_attachment_id

    def write(self, vals):
        if any(key in vals for key in CONTENT_KEYS + LINK_KEYS):
            for attachment_sudo in self._fi_signed_pdf_attachments().sudo():
                moved = any(
                    key in vals and (attachment_sudo[key] or False) != (vals[key] or False) for key in LINK_KEYS
                )
                if moved or any(key in vals for key in CONTENT_KEYS):
                    raise UserError(self.env._("A signed intervention report cannot be modified."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_signed_pdf(self):
        if self._fi_signed_pdf_attachments():
            raise UserError(self.env._("A signed intervention report cannot be deleted."))
