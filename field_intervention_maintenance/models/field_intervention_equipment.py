import base64

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from .field_intervention_boiler_certificate import CO_THRESHOLD_ANOMALY

# kinds of equipment that hold a refrigerant (heat pumps, air conditioners)
REFRIGERANT_KINDS = ("heat_pump", "air_conditioner")
KIND_ENERGY = {
    "gas_boiler": "gas",
    "oil_boiler": "oil",
    "wood_boiler": "wood",
    "heat_pump": "electricity",
    "air_conditioner": "electricity",
}
# what technicians and dispatchers describe; the rest is computed or linked by the application
EQUIPMENT_USER_FIELDS = frozenset(
    {
        "name",
        "active",
        "company_id",
        "site_id",
        "kind",
        "brand",
        "model",
        "serial_number",
        "installation_date",
        "energy",
        "power_kw",
        "refrigerant",
        "refrigerant_charge_kg",
        "note",
        "room",
        "flue_type",
        "last_sweep_date",
        "reference_efficiency",
        "reference_nox",
    }
)


class FieldInterventionEquipment(models.Model):
    """An appliance the company maintains at a customer's site (the installed base)."""

    _name = "field.intervention.equipment"
    _description = "Maintained Equipment"
    _inherit = ["field.intervention.protected.mixin", "mail.thread", "mail.activity.mixin"]  # noqa: RUF012
    _order = "partner_id, site_id, id"
    _check_company_auto = True

    name = fields.Char(
        compute="_compute_name", store=True, readonly=False, required=True, precompute=True, index="trigram"
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    site_id = fields.Many2one(
        "res.partner",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
        help="Address where the equipment is installed.",
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        compute="_compute_partner_id",
        store=True,
        index=True,
        help="The commercial partner of the site.",
    )
    kind = fields.Selection(
        [
            ("gas_boiler", "Gas boiler"),
            ("oil_boiler", "Oil boiler"),
            ("wood_boiler", "Wood boiler"),
            ("heat_pump", "Heat pump"),
            ("air_conditioner", "Air conditioner"),
        ],
        required=True,
        tracking=True,
    )
    brand = fields.Char(tracking=True)
    model = fields.Char(tracking=True)
    serial_number = fields.Char(tracking=True, index="btree_not_null", copy=False)
    installation_date = fields.Date()
    energy = fields.Selection(
        [
            ("gas", "Natural gas"),
            ("propane", "Propane"),
            ("oil", "Heating oil"),
            ("wood", "Wood"),
            ("electricity", "Electricity"),
        ],
        compute="_compute_energy",
        store=True,
        readonly=False,
        precompute=True,
    )
    power_kw = fields.Float(string="Power (kW)", digits=(16, 1))
    has_refrigerant = fields.Boolean(compute="_compute_has_refrigerant")
    refrigerant = fields.Char(help="Refrigerant type, e.g. R32, R410A.")
    refrigerant_charge_kg = fields.Float(string="Refrigerant Charge (kg)", digits=(16, 3))
    note = fields.Text()
    intervention_ids = fields.Many2many(
        "field.intervention",
        "field_intervention_equipment_rel",
        "equipment_id",
        "intervention_id",
        string="Interventions",
        copy=False,
        readonly=True,
    )
    intervention_count = fields.Integer(compute="_compute_intervention_count")
    contract_line_ids = fields.One2many(
        "field.intervention.contract.line", "equipment_id", string="Contract Lines", readonly=True
    )
    qr_url = fields.Char(string="Label Link", compute="_compute_qr_url")
    # what the boiler maintenance certificate identifies (arrêté du 15 septembre 2009, annexe 5)
    room = fields.Char(help="The room where the equipment is installed (kitchen, boiler room...).")
    flue_type = fields.Selection(
        [
            ("chimney", "Connected to a chimney flue"),
            ("sealed", "Room-sealed (balanced flue)"),
            ("none", "Not connected"),
        ],
        string="Flue",
    )
    last_sweep_date = fields.Date(string="Last Chimney Sweep", help="As the customer's sweeping certificate shows.")
    reference_efficiency = fields.Float(
        string="Reference Efficiency (%)",
        digits=(16, 1),
        help="The efficiency the boiler's measured one is compared with (the manufacturer's data).",
    )
    reference_nox = fields.Float(
        string="Reference NOx (mg/kWh)",
        digits=(16, 1),
        help="The NOx emissions the boiler's estimated ones are compared with (the manufacturer's data).",
    )
    boiler_certificate_ids = fields.One2many(
        "field.intervention.boiler.certificate", "equipment_id", string="Maintenance Certificates", readonly=True
    )

    _sql_constraints = [  # noqa: RUF012
        ("power_positive", "CHECK(power_kw >= 0)", "The power of an equipment cannot be negative."),
        (
            "refrigerant_charge_positive",
            "CHECK(refrigerant_charge_kg >= 0)",
            "The refrigerant charge of an equipment cannot be negative.",
        ),
    ]

    @api.depends("kind", "brand", "model")
    def _compute_name(self):
        # the name is kept as written: in the company's language, whoever records the equipment
        kinds_by_lang = {}
        for equipment in self:
            if not equipment.name or equipment.name == "/":
                lang = equipment.company_id.partner_id.lang or self.env.lang
                if lang not in kinds_by_lang:
                    selection = self._fields["kind"]._description_selection(self.with_context(lang=lang).env)
                    kinds_by_lang[lang] = dict(selection)
                parts = [kinds_by_lang[lang].get(equipment.kind), equipment.brand, equipment.model]
                equipment.name = " ".join(part for part in parts if part) or "/"

    @api.depends("site_id.commercial_partner_id")
    def _compute_partner_id(self):
        for equipment in self:
            equipment.partner_id = equipment.site_id.commercial_partner_id

    @api.depends("kind")
    def _compute_energy(self):
        for equipment in self:
            if not equipment.energy:
                equipment.energy = KIND_ENERGY.get(equipment.kind)

    @api.depends("kind")
    def _compute_has_refrigerant(self):
        for equipment in self:
            equipment.has_refrigerant = equipment.kind in REFRIGERANT_KINDS

    def _compute_intervention_count(self):
        Intervention = self.env["field.intervention"]
        if not Intervention.has_access("read"):
            self.intervention_count = 0
            return
        counts = dict(Intervention._read_group([("equipment_ids", "in", self.ids)], ["equipment_ids"], ["__count"]))
        for equipment in self:
            equipment.intervention_count = counts.get(equipment, 0)

    def _compute_qr_url(self):
        for equipment in self:  # the base URL of each one's company (labels are printed in batches)
            equipment.qr_url = f"{equipment.get_base_url()}/my/equipment/{equipment.id}" if equipment.id else False

    @api.constrains("kind", "refrigerant", "refrigerant_charge_kg")
    def _check_refrigerant(self):
        for equipment in self:
            if equipment.kind not in REFRIGERANT_KINDS and (equipment.refrigerant or equipment.refrigerant_charge_kg):
                raise ValidationError(
                    self.env._(
                        "%(name)s holds no refrigerant: only heat pumps and air conditioners have a refrigerant"
                        " type and charge.",
                        name=equipment.display_name,
                    )
                )

    @api.constrains("site_id")
    def _check_contract_customer(self):
        """Moved to another customer's address, the equipment leaves its open contracts first
        (their visits would go to the new owner's site under the old customer's contract)."""
        self.contract_line_ids.filtered(
            lambda line: line.contract_id.state in ("draft", "running")
        )._check_equipment_customer()

    def _fi_user_fields(self):
        fields_ = super()._fi_user_fields()
        if self.env.user.has_group("field_intervention.group_field_intervention_technician"):
            fields_ |= EQUIPMENT_USER_FIELDS
        return fields_

    def _fi_protected_hint(self):
        return self.env._("the customer follows the site and the interventions record the equipment they serviced.")

    def _fi_check_employee(self):
        """The backend actions of the equipment are the field service's (customers use the portal)."""
        if not self.env.su and not self.env.user.has_group("field_intervention.group_field_intervention_technician"):
            raise AccessError(self.env._("Only the field service opens the equipment's records."))
        self.check_access("read")

    @api.readonly
    def action_view_interventions(self):
        """Open the interventions that serviced the equipment."""
        self.ensure_one()
        self._fi_check_employee()
        action = self.env["ir.actions.act_window"]._for_xml_id("field_intervention.field_intervention_action")
        action["domain"] = [("equipment_ids", "in", self.ids)]
        action["context"] = {}
        return action

    @api.readonly
    def action_print_label(self):
        """The QR label to stick on the equipment (PDF)."""
        self._fi_check_employee()
        return self.env.ref("field_intervention_maintenance.action_report_equipment_label").report_action(self)

    def _fi_qr_image(self):
        """The QR code of the label (a PNG, base64-encoded): the equipment's page."""
        self.ensure_one()
        return base64.b64encode(self.env["ir.actions.report"].barcode("QR", self.qr_url, width=300, height=300))

    def _fi_last_service_dates(self):
        """{equipment id: date of its last intervention presented to the customer}, in one
        query for the page, read after the caller's access to the equipment is checked."""
        self.check_access("read")
        interventions_sudo = self.env["field.intervention"].sudo()
        groups = interventions_sudo._read_group(
            [("equipment_ids", "in", self.ids), ("state", "not in", ("draft", "in_progress", "cancel"))],
            ["equipment_ids"],
            ["intervention_date:max"],
        )
        return {equipment.id: last for equipment, last in groups}

    def _fi_portal_interventions(self):
        """The interventions of the equipment a customer sees in the portal (those presented to
        it, from done on), read after the caller checked its access to the equipment."""
        self.ensure_one()
        self.check_access("read")
        return (
            self.sudo()
            .intervention_ids.filtered(lambda rec: rec.state not in ("draft", "in_progress", "cancel"))
            .sorted(lambda rec: (rec.intervention_date or fields.Date.today(), rec.id), reverse=True)
        )

    def _fi_measure_line_name(self, kind):
        """The checklist label of a measurement line, in the company's language (as written)."""
        self.ensure_one()
        lang = self.company_id.partner_id.lang or self.env.lang
        Line = self.env["field.intervention.checklist.line"].with_context(lang=lang)
        labels = dict(Line._fields["measure_kind"]._description_selection(Line.env))
        return labels[kind]

    def _fi_measure_reference(self, kind):
        """The reference a new measurement line starts with (the technician may correct it)."""
        self.ensure_one()
        if kind == "co_ambient":
            return CO_THRESHOLD_ANOMALY
        return {"efficiency": self.reference_efficiency, "nox": self.reference_nox}.get(kind, 0.0)

    def _fi_last_service_before(self, day):
        """The date of the equipment's last certificate before ``day`` (False: none recorded)."""
        self.ensure_one()
        previous = self.sudo().boiler_certificate_ids.filtered(lambda c: c.visit_date and c.visit_date < day)
        return max(previous.mapped("visit_date"), default=False)
