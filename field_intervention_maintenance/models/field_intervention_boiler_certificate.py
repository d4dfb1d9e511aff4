from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools.misc import format_date, formatLang

# the three statements on the room air's CO (arrêté du 15 septembre 2009, annexe 1, as amended by
# the arrêté du 9 mars 2012: 10 ppm from 1 July 2014)
CO_THRESHOLD_ANOMALY = 10.0
CO_THRESHOLD_DANGER = 50.0
BOILER_KINDS = ("gas_boiler", "oil_boiler", "wood_boiler")


class FieldInterventionBoilerCertificate(models.Model):
    """The annual boiler maintenance certificate (attestation d'entretien annuel, Code de
    l'environnement R. 224-41-8, arrêté du 15 septembre 2009): one per serviced boiler and per
    signature, rendered by the signature's job pipeline right after the signed report.

    Created by the application only (never over RPC): a database constraint keeps one per
    (signature, boiler) however often the job runs."""

    _name = "field.intervention.boiler.certificate"
    _description = "Boiler Maintenance Certificate"
    _order = "visit_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    intervention_id = fields.Many2one(
        "field.intervention", required=True, readonly=True, index=True, ondelete="restrict", check_company=True
    )
    signature_id = fields.Many2one("field.intervention.signature", required=True, readonly=True, ondelete="restrict")
    equipment_id = fields.Many2one(
        "field.intervention.equipment",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
        check_company=True,
    )
    partner_id = fields.Many2one(related="equipment_id.partner_id", string="Customer", store=True, index=True)
    visit_date = fields.Date(readonly=True)
    attachment_id = fields.Many2one("ir.attachment", string="PDF", readonly=True, ondelete="restrict")

    _sql_constraints = [  # noqa: RUF012
        (
            "signature_equipment_unique",
            "UNIQUE(signature_id, equipment_id)",
            "A signed report gives one maintenance certificate per boiler.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise AccessError(self.env._("Maintenance certificates are produced by the application only."))
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            raise AccessError(self.env._("A maintenance certificate is never changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        if not self.env.su:
            raise AccessError(self.env._("A maintenance certificate is kept (two years at least)."))

    # ------------------------------------------------------------------
    # Rendering (by the signature's job pipeline, as superuser)
    # ------------------------------------------------------------------
    def _fi_render_and_attach(self):
        """Render the certificate (PDF), attach it to the equipment and post it on its history."""
        self.ensure_one()
        intervention = self.intervention_id
        lang = intervention._fi_certificate_lang()
        zone = intervention.partner_id.tz or self.company_id.partner_id.tz or self.env.context.get("tz")
        certificate = self.with_context(lang=lang, tz=zone)
        report = self.env.ref("field_intervention_maintenance.action_report_boiler_certificate")
        renderer = self.env["ir.actions.report"].with_company(self.company_id).with_context(lang=lang, tz=zone)
        pdf, _report_type = renderer._render_qweb_pdf(report, self.ids)
        attachment = self.env["ir.attachment"].create(
            {
                "name": certificate.env._("Maintenance certificate %(name)s.pdf", name=self.name.replace("/", "-")),
                "raw": pdf,
                "mimetype": "application/pdf",
                "res_model": self.equipment_id._name,
                "res_id": self.equipment_id.id,
            }
        )
        self.attachment_id = attachment
        self.equipment_id.message_post(
            body=certificate.env._("Maintenance certificate of %(number)s.", number=intervention.name),
            attachment_ids=attachment.ids,
            message_type="notification",
            subtype_xmlid="mail.mt_note",
        )

    def _fi_certificate_values(self):
        """What the certificate prints, in the language of ``self.env`` (French numbers and dates
        when French): the regulation's items in the order of the page."""
        self.ensure_one()
        env = self.env
        intervention = self.intervention_id
        equipment = self.equipment_id
        lines = intervention.checklist_line_ids.sorted(lambda line: (line.sequence, line.id))
        measures = lines.filtered(lambda line: line.measure_kind and line.equipment_id == equipment)
        checks = lines.filtered(lambda line: not line.measure_kind)
        results = dict(lines._fields["result"]._description_selection(env))
        kinds = dict(lines._fields["measure_kind"]._description_selection(env))
        last_service = equipment._fi_last_service_before(self.visit_date) or intervention._fi_previous_service_date(
            equipment
        )
        return {
            "company": self.company_id,
            "intervention": intervention,
            "equipment": equipment,
            "customer": intervention.partner_id,
            "site": equipment.site_id,
            "technicians": ", ".join(intervention.technician_ids.mapped("name")),
            "visit_date": self._fi_date(self.visit_date),
            "issue_date": self._fi_date(fields.Date.context_today(self)),
            "last_service": self._fi_date(last_service),
            "last_sweep": self._fi_date(equipment.last_sweep_date),
            "power": formatLang(env, equipment.power_kw, digits=1) if equipment.power_kw else "",
            "checks": [(line.name, results.get(line.result, ""), line.note or "") for line in checks],
            "measures": [
                {
                    "label": kinds[line.measure_kind],
                    "value": formatLang(env, line.measure_value, digits=1),
                    "unit": line.measure_unit,
                    "reference": formatLang(env, line.measure_reference, digits=1) if line.measure_reference else "",
                    "assessment": self._fi_assessment(line),
                }
                for line in measures
            ],
            "co_statement": self._fi_co_statement(measures),
            "sizing_unchanged": env._("Heating system and needs unchanged since the last service."),
        }

    def _fi_date(self, day):
        return format_date(self.env, day) if day else ""

    def _fi_assessment(self, line):
        """The measure against its reference: efficiency at least the reference, emissions at most."""
        if not line.measure_reference or line.measure_kind not in ("efficiency", "co_flue", "nox"):
            return ""
        if line.measure_kind == "efficiency":
            if line.measure_value >= line.measure_reference:
                return self.env._("At or above the reference value")
            return self.env._("Below the reference value: see the advice below")
        if line.measure_value <= line.measure_reference:
            return self.env._("Within the reference value")
        return self.env._("Above the reference value: see the advice below")

    def _fi_co_statement(self, measures):
        """One of the three statements the regulation fixes by the room air's CO reading."""
        reading = measures.filtered(lambda line: line.measure_kind == "co_ambient")[:1]
        if not reading:
            return self.env._("CO in the room air: not measured.")
        if reading.measure_value < CO_THRESHOLD_ANOMALY:
            return self.env._("Measured CO content below 10 ppm: no anomaly found.")
        if reading.measure_value < CO_THRESHOLD_DANGER:
            return self.env._(
                "Measured CO content between 10 ppm and 50 ppm: the situation is deemed abnormal; further"
                " investigations of the flue draught and of the room's ventilation are necessary."
            )
        return self.env._(
            "Measured CO content of 50 ppm or more: the situation reveals a serious and immediate danger; the"
            " user is enjoined to keep the boiler stopped until the installation is put back into service"
            " under normal operating conditions."
        )

    def _fi_portal_url(self):
        self.ensure_one()
        return f"/my/equipment/{self.equipment_id.id}/certificate/{self.id}"
