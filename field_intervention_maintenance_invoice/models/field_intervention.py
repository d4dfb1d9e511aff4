import json

from odoo import models


class FieldIntervention(models.Model):
    """A maintenance visit's intervention bills only what its contract does not cover (extra
    parts, work or travel the contract does not include), through the invoicing's own path: the
    same locks, claims and checks. What is covered is left off the invoice, not billed at zero:
    the signed report already shows it as covered, and a 0.00 line would only be noise on the
    customer's invoice and in the e-invoicing and e-reporting flows. A visit whose every item is
    covered bills nothing: it is marked "nothing to bill" once, as any report billing nothing."""

    _inherit = "field.intervention"

    def _fi_billed_hours(self, data):
        if self.fi_cover_labour:
            return 0.0
        return super()._fi_billed_hours(data)

    def _fi_billable_parts(self):
        return super()._fi_billable_parts().filtered(lambda part: not part.fi_covered)

    def _fi_get_billable_items(self, data):
        items = super()._fi_get_billable_items(data)
        if self.fi_cover_travel:
            items = [item for item in items if item.kind != "travel"]
        return items

    def _fi_no_quantity_message(self):
        contract_sudo = self.sudo().fi_contract_id
        if not contract_sudo:
            return super()._fi_no_quantity_message()
        return self.env._(
            "Nothing to bill: maintenance contract %(contract)s covers the work, travel and parts of the "
            "signed report. No invoice is created for this intervention.",
            contract=contract_sudo.name,
        )

    def _fi_coverage_mismatch(self):
        """Whether the coverage the invoicing would apply differs from the one the customer
        signed (the coverage is locked with the report: only code going around the locks gets
        here). The invoice never leaves off more, or less, than what was signed as covered."""
        self.ensure_one()
        try:
            signed = json.loads(self.sudo().signature_id.content_canonical or "")
        except ValueError:
            return True
        coverage = self._fi_coverage_content() if self.fi_contract_id else None
        if not isinstance(signed, dict) or signed.get("coverage") != coverage:
            return True
        return any(part.fi_covered != self._fi_covers_product(part.product_id) for part in self.part_ids)
