import hashlib
import uuid
from datetime import datetime, time, timedelta

import pytz

from odoo import fields, models
from odoo.osv import expression
from odoo.tools import format_date, html2plaintext

from odoo.addons.field_intervention_sign.models.field_intervention import canonical_json, utc_string

# clock difference tolerated between a phone and the server, at both ends of the plausibility
# window of the phone's times (see _fi_mobile_phone_window)
PHONE_CLOCK_SKEW = timedelta(minutes=5)
# the days after the download for which the phone gets the consent sentence's date
CONSENT_DAYS_AHEAD = 14
DAY_STATES = ("draft", "in_progress", "done")
MAX_DAYS = 31
# products proposed when none of the projects lists its common parts
MAX_FALLBACK_PRODUCTS = 300


class FieldIntervention(models.Model):
    _inherit = "field.intervention"

    # ------------------------------------------------------------------
    # The day of a technician (what the phone downloads)
    # ------------------------------------------------------------------
    def _fi_mobile_day_domain(self, days):
        """The current user's interventions planned from today to today + ``days`` (in the
        user's time zone), and those in progress whatever their date."""
        tz = pytz.timezone(self.env.user.tz or "UTC")
        today = datetime.now(tz).date()
        start = tz.localize(datetime.combine(today, time.min)).astimezone(pytz.utc).replace(tzinfo=None)
        end = tz.localize(datetime.combine(today + timedelta(days=days + 1), time.min))
        end = end.astimezone(pytz.utc).replace(tzinfo=None)
        planned = [("planned_date", ">=", start), ("planned_date", "<", end), ("state", "in", DAY_STATES)]
        return expression.AND(
            [
                [("technician_ids", "in", self.env.user.ids)],
                expression.OR([planned, [("state", "=", "in_progress")]]),
            ]
        )

    def _fi_mobile_day(self, days=3):
        """The payload of ``/field_intervention/app/api/day`` for the current user."""
        days = min(max(int(days), 0), MAX_DAYS)
        interventions = self.search(self._fi_mobile_day_domain(days), order="planned_date, id")
        user = self.env.user
        return {
            "server_time": utc_string(fields.Datetime.now()),
            "user": {"id": user.id, "name": user.name, "lang": user.lang or "en_US"},
            "checklist_results": self.env["field.intervention.checklist.line"]
            ._fields["result"]
            ._description_selection(self.env),
            "products": interventions._fi_mobile_products(),
            "interventions": interventions._fi_mobile_values(),
        }

    def _fi_mobile_products(self):
        """Products the technician may add as parts: the common parts of the projects and the
        products already on the reports; the company's goods when no project lists any."""
        Product = self.env["product.product"]
        products = self.project_id.part_product_ids | self.part_ids.product_id
        if not self.project_id.part_product_ids:
            products |= Product.search(
                [
                    ("sale_ok", "=", True),
                    ("type", "=", "consu"),
                    ("company_id", "in", [False, *self.env.companies.ids]),
                ],
                limit=MAX_FALLBACK_PRODUCTS,
                order="default_code, name, id",
            )
        products = products.filtered("sale_ok").sorted(lambda p: (p.name, p.default_code or "", p.id))
        return [
            {
                "id": product.id,
                "name": product.display_name,
                "default_code": product.default_code or "",
                "uom_name": product.uom_id.name,
                # what a part of this product adds to the signed content: unit, code, unit price
                # (the phone drops the price where the customer sees none)
                "content": self.env["field.intervention"]._fi_canonical_product(product, True),
            }
            for product in products
        ]

    def _fi_mobile_values(self):
        """The interventions as the phone app stores them (see the addon's USAGE.md)."""
        photo_hashes = self.photo_ids._fi_content_sha256()
        formatted_dates = {}
        values = []
        for rec in self:
            signer_name, signer_email = rec._fi_get_default_signer()
            show_prices = rec._fi_show_prices()
            segments = rec._fi_mobile_segments()
            entry = {
                "id": rec.id,
                "name": rec.name,
                "state": rec.state,
                "mission": {
                    "id": rec.task_id.id,
                    "name": rec.task_id.name,
                    "description": html2plaintext(rec.task_id.description or "").strip(),
                },
                "planned_date": utc_string(rec.planned_date),
                "customer": {
                    "name": rec._fi_mobile_customer_name(),
                    "phone": rec.partner_id.phone or rec.partner_id.mobile or "",
                    "email": rec.partner_id.email or "",
                },
                "site": {
                    "address": rec._fi_site_one_line(),
                    "phone": rec.site_phone or rec.site_mobile or "",
                    "map_url": rec.site_map_url or "",
                },
                "time_segments": [[start, end or None] for start, end in segments],
                "running": rec.timer_state == "running",
                "paused": rec.timer_state == "paused",
                "work_description": rec.work_description or "",
                "findings": rec.findings or "",
                "checklist": [
                    {"id": line.id, "name": line.name, "result": line.result, "note": line.note or ""}
                    for line in rec._fi_mobile_checklist_lines()
                ],
                "parts": [
                    {
                        "id": part.id,
                        "product_id": part.product_id.id,
                        "name": part.name or part.product_id.display_name,
                        "quantity": part.quantity,
                        "uom": part.product_uom_id.name or "",
                        # the part as signed (the phone cannot change it, only remove it)
                        "content": rec._fi_canonical_part(part, show_prices),
                    }
                    for part in rec.part_ids.sorted(lambda p: (p.sequence, p.id))
                ],
                "photos": [
                    {"id": photo.id, "name": photo.name or "", "sha256": photo_hashes[photo.id]}
                    for photo in rec.photo_ids.sorted(lambda p: (p.sequence, p.id))
                ],
                "signer": {"name": signer_name, "email": signer_email},
                "consent_text": rec._fi_get_consent_text(),
                "consent": rec._fi_mobile_consent(formatted_dates),
                "content": rec._fi_get_canonical_content(photo_hashes),
            }
            entry["version"] = hashlib.sha256(canonical_json(entry).encode()).hexdigest()[:16]
            values.append(entry)
        return values

    # ------------------------------------------------------------------
    # The phone's times and the consent sentence
    # ------------------------------------------------------------------
    def _fi_mobile_phone_window(self, received_on=None):
        """The one plausibility window of a phone's times for this intervention: ``(floor,
        ceiling)``, naive UTC. A phone time is believed when ``floor <= time <= ceiling``: not
        before the intervention existed (its creation minus the clock skew), not after the
        server received it (plus the skew). Timer steps (hence the service date and the
        consent sentence's date) and the signature's phone time are judged by it."""
        self.ensure_one()
        received_on = received_on or fields.Datetime.now()
        return self.create_date - PHONE_CLOCK_SKEW, received_on + PHONE_CLOCK_SKEW

    def _fi_mobile_tz(self):
        """The time zone in which the server computes the service date for this user (as
        ``context_timestamp`` does), so that the phone finds the same day."""
        return self.env.context.get("tz") or self.env.user.tz or "UTC"

    def _fi_mobile_consent(self, formatted_dates=None):
        """How the phone builds the consent sentence for the service date the server will
        record from the phone's own times, offline: the server's sentence split around its
        date (``before``, ``after``), the time zone of the service date, and the date as the
        customer reads it for each day it can be: ``dates[n]`` is the day ``first`` + n.

        Once started the service date is the first start's day; before, it is the day of the
        first start the phone will record, which the phone window puts from the download
        (at the earliest the day before, or the creation) to ``CONSENT_DAYS_AHEAD`` days
        after. The server accepts the phone's sentence only when it is its own sentence for
        the date it records (see the ``sign`` operation).

        :param dict formatted_dates: cache {(lang, date): text} shared by a batch of records
        """
        self.ensure_one()
        formatted_dates = {} if formatted_dates is None else formatted_dates
        marker = uuid.uuid4().hex
        parts = self._fi_get_consent_text(date=marker).split(marker)
        tz = self._fi_mobile_tz()
        if len(parts) != 2:  # a translation without the date: the phone shows the sentence as it is
            return {"before": "", "after": "", "tz": tz, "first": "", "dates": []}
        if self.date_start:
            first = last = self.intervention_date
        else:
            now = fields.Datetime.now()
            floor, _ceiling = self._fi_mobile_phone_window(now)
            local = self.with_context(tz=tz)
            first = fields.Datetime.context_timestamp(local, max(floor, now - timedelta(days=1))).date()
            last = fields.Datetime.context_timestamp(local, now).date() + timedelta(days=CONSENT_DAYS_AHEAD)
        lang = self._fi_consent_lang()
        dates = []
        for offset in range((last - first).days + 1):
            day = first + timedelta(days=offset)
            if (lang, day) not in formatted_dates:
                formatted_dates[lang, day] = format_date(self.env, day, lang_code=lang)
            dates.append(formatted_dates[lang, day])
        return {"before": parts[0], "after": parts[1], "tz": tz, "first": fields.Date.to_string(first), "dates": dates}

    def _fi_mobile_segments(self):
        """The time segments as sorted ``[start, end]`` UTC strings (end '' while open)."""
        self.ensure_one()
        return sorted([utc_string(t.date_start), utc_string(t.date_end)] for t in self.time_ids)

    def _fi_mobile_checklist_lines(self):
        self.ensure_one()
        return self.checklist_line_ids.sorted(lambda line: (line.sequence, line.id))

    def _fi_mobile_customer_name(self):
        self.ensure_one()
        return self.partner_id.commercial_partner_id.name or self.partner_id.name or ""
