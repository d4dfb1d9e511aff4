import base64
import binascii

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.mimetypes import guess_mimetype

MAX_PHOTO_SIZE = 10 * 1024 * 1024  # bytes, before server-side resizing
ACCEPTED_MIMETYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/tiff")


class FieldInterventionPhoto(models.Model):
    _name = "field.intervention.photo"
    _inherit = "field.intervention.line.mixin"
    _description = "Intervention Photo"
    _order = "intervention_id, sequence, id"
    _fi_line_user_fields = ("intervention_id", "sequence", "name", "image")

    sequence = fields.Integer(default=10)
    name = fields.Char(string="Caption")
    image = fields.Image(string="Photo", required=True, max_width=1920, max_height=1920)
    image_256 = fields.Image(string="Thumbnail", related="image", max_width=256, max_height=256, store=True)

    @api.model
    def _check_image_payload(self, data):
        """Refuse a payload that is not an image or is too large, with a message saying what to do."""
        if not data:
            return
        try:
            raw = base64.b64decode(data, validate=False)
        except (binascii.Error, ValueError) as error:
            raise UserError(self.env._("The photo could not be read: take or choose the photo again.")) from error
        if len(raw) > MAX_PHOTO_SIZE:
            raise UserError(
                self.env._(
                    "The photo is too large (%(size)s MB, maximum %(max)s MB): take it again with a lower resolution.",
                    size=round(len(raw) / 1024 / 1024, 1),
                    max=MAX_PHOTO_SIZE // 1024 // 1024,
                )
            )
        if guess_mimetype(raw) not in ACCEPTED_MIMETYPES:
            raise UserError(
                self.env._("This file is not a photo: choose a JPEG or PNG image (or take a picture with the camera).")
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_image_payload(vals.get("image"))
        return super().create(vals_list)

    def write(self, vals):
        self._check_image_payload(vals.get("image"))
        return super().write(vals)
