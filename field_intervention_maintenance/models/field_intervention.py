from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .field_intervention_contract import PARTS_POLICIES

# what the intervention's contract covers, as it stood when the intervention was created: set
# from the mission's visit, locked with the report's content
COVERAGE_FIELDS = frozenset(
    {"fi_contract_id", "fi_cover_labour", "fi_cover_travel", "fi_cover_parts", "fi_cover_product_ids"}
)


class FieldIntervention(models.Model):
    _inherit = "field.intervention"

    equipment_ids = fields.Many2many(
        "field.intervention.equipment",
        "field_intervention_equipment_rel",
        "intervention_id",
        "equipment_id",
        string="Equipment Serviced",
        check_company=True,
    )
    fi_contract_id = fields.Many2one(
        "field.intervention.contract",
        string="Maintenance Contract",
        compute="_compute_fi_coverage",
        store=True,
        index="btree_not_null",
        copy=False,
        help="Contract of the maintenance visit of the mission: what it covers is not invoiced.",
    )
    fi_cover_labour = fields.Boolean(string="Labour Covered", compute="_compute_fi_coverage", store=True)
    fi_cover_travel = fields.Boolean(string="Travel Covered", compute="_compute_fi_coverage", store=True)
    fi_cover_parts = fields.Selection(
        PARTS_POLICIES, string="Parts Covered", compute="_compute_fi_coverage", store=True
    )
    fi_cover_product_ids = fields.Many2many(
        "product.product",
        "field_intervention_cover_product_rel",
        "intervention_id",
        "product_id",
        string="Covered Parts",
        compute="_compute_fi_coverage",
        store=True,
        help="The parts the contract listed when the intervention was created.",
    )

    @api.depends("task_id")
    def _compute_fi_coverage(self):
        """The contract of the mission's visit and its terms, taken when the intervention is
        created (or moved to another mission): a later change of the contract does not change
        what a visit made under it covers."""
        for rec in self:
            # the visit is the planning's record: technicians read only their own
            contract_sudo = rec.task_id.sudo().fi_visit_ids.contract_id[:1]
            rec.fi_contract_id = contract_sudo.id
            rec.fi_cover_labour = contract_sudo.include_labour
            rec.fi_cover_travel = contract_sudo.include_travel
            rec.fi_cover_parts = contract_sudo.parts_policy or False
            rec.fi_cover_product_ids = (
                contract_sudo.covered_product_ids.ids if contract_sudo.parts_policy == "listed" else []
            )

    @api.constrains("equipment_ids", "partner_id")
    def _check_equipment_customer(self):
        for rec in self:
            customer = rec.partner_id.commercial_partner_id
            foreign = rec.equipment_ids.filtered(lambda equipment, customer=customer: equipment.partner_id != customer)
            if foreign:
                raise ValidationError(
                    self.env._(
                        "%(equipment)s is not equipment of %(customer)s, the customer of %(name)s.",
                        equipment=", ".join(foreign.mapped("display_name")),
                        customer=customer.display_name,
                        name=rec.name,
                    )
                )

    def write(self, vals):
        if COVERAGE_FIELDS.intersection(vals):
            # users never set them (protected); the model's own code neither once locked
            self._check_content_editable()
        return super().write(vals)

    def _get_content_fields(self):
        return super()._get_content_fields() | {"equipment_ids"}

    # ------------------------------------------------------------------
    # Coverage: on the report, in the signed content, off the invoice
    # ------------------------------------------------------------------
    def _fi_covers_product(self, product):
        """Whether the intervention's contract covers the part ``product``."""
        self.ensure_one()
        if not self.fi_contract_id or not product:
            return False
        if self.fi_cover_parts == "all":
            return True
        return self.fi_cover_parts == "listed" and product in self.fi_cover_product_ids

    def _fi_coverage_content(self):
        """What the contract covers, as the customer signs it: language neutral, the listed
        parts by code and English name (the parts of the report name theirs the same way), so
        that whoever builds the content (portal, device, phone offline) signs the same text."""
        self.ensure_one()
        # the contract's number is printed on the customer's own report: read as the report
        contract_sudo = self.sudo().fi_contract_id
        products = self.sudo().fi_cover_product_ids.with_context(lang="en_US")
        return {
            "contract": contract_sudo.name or "",
            "labour": bool(self.fi_cover_labour),
            "travel": bool(self.fi_cover_travel),
            "parts": self.fi_cover_parts or "none",
            "products": sorted([product.default_code or "", product.name or ""] for product in products),
        }

    def _fi_get_signed_extra(self):
        extra = super()._fi_get_signed_extra()
        if self.fi_contract_id:
            extra["coverage"] = self._fi_coverage_content()
        return extra

    def _fi_coverage_values(self):
        """What the report prints about the contract: its number and the sentence stating what
        it covers (in the language of the environment: the report's)."""
        self.ensure_one()
        contract_name = self.sudo().fi_contract_id.name
        if not contract_name:
            return {}
        covered = []
        if self.fi_cover_labour:
            covered.append(self.env._("labour"))
        if self.fi_cover_travel:
            covered.append(self.env._("travel"))
        if self.fi_cover_parts == "all":
            covered.append(self.env._("all parts"))
        elif self.fi_cover_parts == "listed" and self.fi_cover_product_ids:
            covered.append(
                self.env._(
                    "the parts %(parts)s",
                    parts=", ".join(self.sudo().fi_cover_product_ids.mapped("display_name")),
                )
            )
        if covered:
            statement = self.env._(
                "Maintenance contract %(contract)s covers: %(covered)s. What it covers is not invoiced.",
                contract=contract_name,
                covered=", ".join(covered),
            )
        else:
            statement = self.env._(
                "Maintenance contract %(contract)s covers no labour, travel or part of this visit.",
                contract=contract_name,
            )
        return {"contract": contract_name, "statement": statement}
