from odoo import api, fields, models
from odoo.exceptions import ValidationError


class FieldInterventionPart(models.Model):
    _name = "field.intervention.part"
    _inherit = "field.intervention.line.mixin"
    _description = "Intervention Part or Consumable"
    _order = "intervention_id, sequence, id"
    _fi_line_user_fields = ("intervention_id", "sequence", "product_id", "name", "quantity", "product_uom_id")
    _check_company_auto = True

    sequence = fields.Integer(default=10)
    product_id = fields.Many2one(
        "product.product",
        required=True,
        check_company=True,
        domain="[('sale_ok', '=', True)]",
    )
    name = fields.Char(string="Description", compute="_compute_name", store=True, readonly=False, precompute=True)
    quantity = fields.Float(default=1.0, digits="Product Unit of Measure", required=True)
    product_uom_category_id = fields.Many2one(related="product_id.uom_id.category_id")
    product_uom_id = fields.Many2one(
        "uom.uom",
        string="Unit",
        compute="_compute_product_uom_id",
        store=True,
        readonly=False,
        precompute=True,
        domain="[('category_id', '=', product_uom_category_id)]",
    )

    _sql_constraints = [  # noqa: RUF012
        ("quantity_positive", "CHECK(quantity > 0)", "The quantity of a part must be positive."),
    ]

    @api.depends("product_id")
    def _compute_name(self):
        for part in self:
            if part.product_id:
                part.name = part.product_id.display_name

    @api.depends("product_id")
    def _compute_product_uom_id(self):
        for part in self:
            if part.product_id and part.product_uom_id.category_id != part.product_id.uom_id.category_id:
                part.product_uom_id = part.product_id.uom_id

    @api.constrains("quantity")
    def _check_quantity(self):
        for part in self:
            if part.quantity <= 0:
                part._raise_quantity_error(part.product_id)

    def _raise_quantity_error(self, product):
        raise ValidationError(
            self.env._(
                "The quantity of %(product)s must be greater than zero: enter the quantity used or remove the line.",
                product=product.display_name,
            )
        )

    def _precheck_quantity(self, vals):
        """Refuse a non-positive quantity before the database constraint does (clear message)."""
        if "quantity" in vals and (vals["quantity"] or 0.0) <= 0:
            product = self.env["product.product"].browse(vals.get("product_id")) or self.product_id[:1]
            self._raise_quantity_error(product)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._precheck_quantity(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._precheck_quantity(vals)
        return super().write(vals)
