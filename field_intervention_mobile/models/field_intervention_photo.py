import base64
import hashlib

from odoo import fields, models


class FieldInterventionPhoto(models.Model):
    _inherit = "field.intervention.photo"

    source_sha256 = fields.Char(
        string="SHA-256 as Sent",
        readonly=True,
        copy=False,
        help="SHA-256 of the bytes the phone app sent (the photo may be stored resized). Set by the offline sync only.",
    )

    def _fi_mobile_sha256(self):
        """Map photo id -> SHA-256 the phone app knows the photo by: of the bytes it sent, or
        of the stored bytes for the photos added in the back office."""
        hashes = {}
        for photo in self.with_context(bin_size=False):
            hashes[photo.id] = photo.source_sha256 or hashlib.sha256(base64.b64decode(photo.image or b"")).hexdigest()
        return hashes
