import base64
import hashlib

from odoo import models


class FieldInterventionPhoto(models.Model):
    _inherit = "field.intervention.photo"

    def _fi_content_sha256(self):
        """Map photo id -> the SHA-256 the signed content knows the photo by: of its stored
        bytes (see the phone app's override)."""
        return {
            photo.id: hashlib.sha256(base64.b64decode(photo.image or b"")).hexdigest()
            for photo in self.with_context(bin_size=False)
        }
