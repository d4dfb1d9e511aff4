from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_repr

from .field_intervention_boiler_certificate import BOILER_KINDS
from .field_intervention_checklist_line import BOILER_MEASURES
from .field_intervention_contract import PARTS_POLICIES

# what the technician writes for the boiler certificate (signed with the report)
CERTIFICATE_CONTENT_FIELDS = (
    "measuring_instruments",
    "sizing_assessment",
    "advice_use",
    "advice_improvement",
    "advice_replacement",
)

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

    measuring_instruments = fields.Char(
        help="The instruments the measurements were taken with (make, model, serial number), printed on the"
        " maintenance certificate."
    )
    sizing_assessment = fields.Text(
        string="Sizing of the Boiler",
        help="The boiler's size against the heating needs of the building (not needed when neither has changed"
        " since the last service).",
    )
    advice_use = fields.Text(string="Advice on Good Use")
    advice_improvement = fields.Text(string="Possible Improvements of the Heating System")
    advice_replacement = fields.Text(string="Advice on Replacing the Boiler")
    boiler_certificate_ids = fields.One2many(
        "field.intervention.boiler.certificate", "intervention_id", string="Maintenance Certificates", readonly=True
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

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records.filtered("equipment_ids")._fi_add_measure_lines()
        return records

    def write(self, vals):
        if COVERAGE_FIELDS.intersection(vals):
            # users never set them (protected); the model's own code neither once locked
            self._check_content_editable()
        res = super().write(vals)
        if "equipment_ids" in vals:
            self._fi_drop_stray_measure_lines()
            self._fi_add_measure_lines()
        return res

    def _get_content_fields(self):
        return super()._get_content_fields() | {"equipment_ids", *CERTIFICATE_CONTENT_FIELDS}

    def _fi_drop_stray_measure_lines(self):
        """The measurement lines of equipment the intervention no longer services go with it.

        Called after the user's write of the serviced equipment succeeded (the report is
        editable and theirs to change): the lines that followed the equipment are removed as
        the application, technicians deleting no checklist line themselves."""
        stray_sudo = self.sudo().checklist_line_ids.filtered(
            lambda line: line.equipment_id and line.equipment_id not in line.intervention_id.equipment_ids
        )
        stray_sudo.unlink()

    def _fi_add_measure_lines(self):
        """Give each serviced boiler the measurement lines its kind asks for (those it lacks):
        the technician fills their values on site. Only while the report can change."""
        vals_list = []
        for rec in self.filtered(lambda r: r.state in ("draft", "in_progress")):
            existing = {(line.equipment_id.id, line.measure_kind) for line in rec.checklist_line_ids}
            sequence = max(rec.checklist_line_ids.mapped("sequence"), default=10)
            for equipment in rec.equipment_ids.filtered(lambda e: e.kind in BOILER_MEASURES):
                for kind in BOILER_MEASURES[equipment.kind]:
                    if (equipment.id, kind) in existing:
                        continue
                    sequence += 1
                    vals_list.append(
                        {
                            "intervention_id": rec.id,
                            "sequence": sequence,
                            "equipment_id": equipment.id,
                            "measure_kind": kind,
                            "name": equipment._fi_measure_line_name(kind),
                            "measure_reference": equipment._fi_measure_reference(kind),
                        }
                    )
        if vals_list:
            self.env["field.intervention.checklist.line"].create(vals_list)

    # ------------------------------------------------------------------
    # The boiler maintenance certificates, after the signed report
    # ------------------------------------------------------------------
    def _on_signed_pdf_ready(self):
        """The signed report is stored: produce the boilers' maintenance certificates, before
        the customer's mail (which joins them). Runs in the signature job's savepoint: a
        failure is retried with the signed PDF step, which is idempotent."""
        res = super()._on_signed_pdf_ready()
        self._fi_generate_boiler_certificates()
        return res

    def _fi_signed_mail_attachments(self, signature):
        attachments = super()._fi_signed_mail_attachments(signature)
        certificates = self.sudo().boiler_certificate_ids.filtered(lambda cert: cert.signature_id == signature)
        return attachments | certificates.attachment_id

    def _fi_generate_boiler_certificates(self):
        """One certificate per serviced boiler and per signature (idempotent: a boiler that has
        its certificate for the signature is skipped; the database refuses a second one)."""
        self.ensure_one()
        signature = self.signature_id
        if not signature or self.state != "signed":
            return self.env["field.intervention.boiler.certificate"]
        self_sudo = self.sudo()
        done = self_sudo.boiler_certificate_ids.filtered(lambda cert: cert.signature_id == signature).equipment_id
        boilers = self_sudo.equipment_ids.filtered(lambda e: e.kind in BOILER_KINDS) - done
        if not boilers:
            return self.env["field.intervention.boiler.certificate"]
        certificates = (
            self.env["field.intervention.boiler.certificate"]
            .sudo()
            .create(
                [
                    {
                        "name": self.env._(
                            "%(number)s - %(equipment)s",
                            number=self.name,
                            equipment=boiler.serial_number or boiler.name,
                        ),
                        "company_id": self.company_id.id,
                        "intervention_id": self.id,
                        "signature_id": signature.id,
                        "equipment_id": boiler.id,
                        "visit_date": self.intervention_date,
                    }
                    for boiler in boilers
                ]
            )
        )
        for certificate in certificates:
            certificate._fi_render_and_attach()
        self.message_post(
            body=self.env._("Boiler maintenance certificates produced."),
            attachment_ids=certificates.attachment_id.ids,
            message_type="notification",
            subtype_xmlid="mail.mt_note",
        )
        return certificates

    def _fi_previous_service_date(self, equipment):
        """The date of the equipment's last report presented before this one (False: none)."""
        self.ensure_one()
        previous = self.sudo().search(
            [
                ("equipment_ids", "in", equipment.ids),
                ("id", "!=", self.id),
                ("state", "not in", ("draft", "in_progress", "cancel")),
                ("intervention_date", "<", self.intervention_date),
            ],
            order="intervention_date desc",
            limit=1,
        )
        return previous.intervention_date

    def _fi_certificate_lang(self):
        """The certificate is the French regulation's document: printed in French when French
        is installed (its statements are the arrêté's), else in the customer's language."""
        if self.env["res.lang"]._lang_get("fr_FR"):
            return "fr_FR"
        return self.partner_id.lang or self.env.lang

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
        """The signed content adds what the contract covers and what the certificate prints:
        the measurements (equipment, kind, value, reference), the instruments and the advice.
        Under keys of their own, which the phone takes from the content it downloaded (it does
        not edit them), and only when there is something: the content of a report without them
        is the same as before."""
        extra = super()._fi_get_signed_extra()
        if self.fi_contract_id:
            extra["coverage"] = self._fi_coverage_content()
        measures = self.checklist_line_ids.filtered("measure_kind").sorted(lambda line: (line.sequence, line.id))
        if measures:
            extra["measurements"] = [
                [
                    line.equipment_id.serial_number or line.equipment_id.name or "",
                    line.measure_kind,
                    float_repr(line.measure_value, 1),
                    float_repr(line.measure_reference, 1),
                ]
                for line in measures
            ]
        if any(self[name] for name in CERTIFICATE_CONTENT_FIELDS):
            extra["certificate"] = {name: self[name] or "" for name in CERTIFICATE_CONTENT_FIELDS}
        return extra

    def _fi_get_summary_values(self):
        """The "what you sign" screen (device, portal) states what the contract covers, as the
        report does: the customer signs it."""
        values = super()._fi_get_summary_values()
        values["fi_coverage"] = self._fi_coverage_values()
        covered = self.part_ids.sorted(lambda p: (p.sequence, p.id)).mapped("fi_covered")
        for part, is_covered in zip(values["parts"], covered, strict=True):
            part["covered"] = is_covered
        return values

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
