from odoo import api, models

from ..tools.trusted_write import is_trusted

# the report lines whose binary fields are stored as attachments (the photos' images)
LINE_MODELS_WITH_FILES = ("field.intervention.photo",)
CONTENT_KEYS = ("datas", "raw", "db_datas", "store_fname", "checksum")
LINK_KEYS = ("res_model", "res_id", "res_field")


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    @api.model
    def _fi_check_report_files(self, targets):
        """Refuse to change the files of locked reports. ``targets``: (res_model, res_id, res_field).

        Binary fields store their files as superuser after their record's own checks (the
        photo's lock): what is refused here is a user changing the file directly."""
        if is_trusted(self.env):
            return
        photo_ids = {
            res_id for res_model, res_id, res_field in targets if res_model in LINE_MODELS_WITH_FILES and res_field
        }
        if photo_ids:
            # sudo: the lock is checked whatever the caller may read; only the state is looked at
            photos_sudo = self.env["field.intervention.photo"].sudo().browse(photo_ids).exists()
            photos_sudo.intervention_id._check_content_editable()

    def _fi_targets(self):
        return [(att.res_model, att.res_id, att.res_field) for att in self.sudo()]

    @api.model_create_multi
    def create(self, vals_list):
        self._fi_check_report_files(
            [(vals.get("res_model"), vals.get("res_id"), vals.get("res_field")) for vals in vals_list]
        )
        return super().create(vals_list)

    def write(self, vals):
        if any(key in vals for key in CONTENT_KEYS + LINK_KEYS):
            self._fi_check_report_files(self._fi_targets())
        res = super().write(vals)
        if any(key in vals for key in LINK_KEYS):
            self._fi_check_report_files(self._fi_targets())
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_locked_report_file(self):
        self._fi_check_report_files(self._fi_targets())
