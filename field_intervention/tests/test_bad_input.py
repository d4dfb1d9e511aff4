import base64
import io

from PIL import Image

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import FieldInterventionCommon


def _png(width=40, height=30):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue())


@tagged("-at_install", "post_install")
class TestBadInput(FieldInterventionCommon):
    def setUp(self):
        super().setUp()
        self.intervention = self._create_intervention().with_user(self.tech_a)
        self.intervention.action_start()

    def test_part_quantity_positive(self):
        Part = self.env["field.intervention.part"].with_user(self.tech_a)
        for quantity in (0, -2):
            with self.assertRaisesRegex(ValidationError, "greater than zero"):
                Part.create(
                    {"intervention_id": self.intervention.id, "product_id": self.part_product.id, "quantity": quantity}
                )
        part = Part.create({"intervention_id": self.intervention.id, "product_id": self.part_product.id, "quantity": 1})
        with self.assertRaisesRegex(ValidationError, "greater than zero"):
            part.quantity = -1
        self.assertEqual(part.quantity, 1)

    def test_part_other_company(self):
        foreign = self.env["product.product"].create(
            {
                "name": "Foreign part",
                "company_id": self.other_company.id,
            }
        )
        with self.assertRaises(UserError):
            self.env["field.intervention.part"].create(
                {
                    "intervention_id": self.intervention.id,
                    "product_id": foreign.id,
                    "quantity": 1,
                }
            )

    def test_photo_ok_and_resized(self):
        photo = (
            self.env["field.intervention.photo"]
            .with_user(self.tech_a)
            .create(
                {
                    "intervention_id": self.intervention.id,
                    "name": "Chaudière",
                    "image": _png(2400, 1200),
                }
            )
        )
        with Image.open(io.BytesIO(base64.b64decode(photo.image))) as image:
            self.assertEqual(image.size, (1920, 960))
        self.assertTrue(photo.image_256)
        self.assertEqual(self.intervention.photo_count, 1)

    def test_photo_not_an_image(self):
        with self.assertRaisesRegex(UserError, "not a photo"):
            self.intervention.write(
                {
                    "photo_ids": [
                        Command.create(
                            {
                                "name": "doc",
                                "image": base64.b64encode(b"%PDF-1.4 this is not an image"),
                            }
                        )
                    ]
                }
            )
        self.assertFalse(self.intervention.photo_ids)

    def test_photo_too_large(self):
        big = base64.b64encode(b"\xff\xd8\xff\xe0" + b"0" * (11 * 1024 * 1024))
        with self.assertRaisesRegex(UserError, "too large"):
            self.env["field.intervention.photo"].with_user(self.tech_a).create(
                {
                    "intervention_id": self.intervention.id,
                    "image": big,
                }
            )

    def test_negative_travel(self):
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self.intervention.travel_distance = -5
