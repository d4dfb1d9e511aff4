from odoo import api, models
from odoo.exceptions import UserError

# values that would make the invoice's copy of a signed report another document, or move it
CONTENT_KEYS = ("datas", "raw", "db_datas", "store_fname", "checksum")
DESCRIPTION_KEYS = ("res_model", "res_id", "res_field", "name", "mimetype", "type", "url")


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    def _fi_invoice_signed_copies(self):
        """The attachments of ``self`` that are an existing invoice's copy of a signed
        intervention report (``_fi_attach_signed_pdfs``): the bytes of a signature evidence's
        PDF, on an invoice. They are kept as the evidence is: only the invoice's deletion takes
        its copy with it."""
        on_moves_sudo = self.sudo().filtered(
            lambda att: att.res_model == "account.move" and att.res_id and not att.res_field and att.checksum
        )
        if not on_moves_sudo:
            return self.browse()
        moves_sudo = self.env["account.move"].sudo().browse(set(on_moves_sudo.mapped("res_id"))).exists()
        on_moves_sudo = on_moves_sudo.filtered(lambda att: att.res_id in moves_sudo.ids)
        signatures_sudo = (
            self.env["field.intervention.signature"]
            .sudo()
            .search([("pdf_attachment_id.checksum", "in", on_moves_sudo.mapped("checksum"))])
        )
        evidence = set(signatures_sudo.pdf_attachment_id.mapped("checksum"))
        return self.browse(on_moves_sudo.filtered(lambda att: att.checksum in evidence).ids)

    def write(self, vals):
        if any(key in vals for key in CONTENT_KEYS + DESCRIPTION_KEYS):
            for attachment_sudo in self._fi_invoice_signed_copies().sudo():
                changed = any(
                    key in vals and (attachment_sudo[key] or False) != (vals[key] or False) for key in DESCRIPTION_KEYS
                )
                if changed or any(key in vals for key in CONTENT_KEYS):
                    raise UserError(
                        self.env._(
                            "The signed intervention report attached to an invoice is a copy of the signature "
                            "evidence: it cannot be modified."
                        )
                    )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_invoice_signed_copy(self):
        if self._fi_invoice_signed_copies():
            raise UserError(
                self.env._(
                    "The signed intervention report attached to an invoice is a copy of the signature evidence: "
                    "it cannot be deleted (it goes with its invoice)."
                )
            )
