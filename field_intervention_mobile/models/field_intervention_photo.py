from odoo import fields, models

from odoo.addons.field_intervention.tools.trusted_write import trusted_write


class FieldInterventionPhoto(models.Model):
    _inherit = "field.intervention.photo"

    source_sha256 = fields.Char(
        string="SHA-256 as Sent",
        readonly=True,
        copy=False,
        help="SHA-256 of the bytes the phone app sent (the photo may be stored resized), while the photo is "
        "the one it sent. Set by the offline sync only.",
    )

    def write(self, vals):
        res = super().write(vals)
        stale = self.filtered("source_sha256") if "image" in vals and "source_sha256" not in vals else self.browse()
        if stale:  # another image: the hash of what the phone sent no longer names it
            with trusted_write():
                stale.write({"source_sha256": False})
        return res

    def _fi_content_sha256(self):
        """The photos the phone sent are known by the SHA-256 of the bytes it sent (it cannot
        know the bytes the server stored), as long as their image is the one it sent."""
        sent = self.filtered("source_sha256")
        hashes = super(FieldInterventionPhoto, self - sent)._fi_content_sha256()
        hashes.update({photo.id: photo.source_sha256 for photo in sent})
        return hashes
