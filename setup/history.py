#!/usr/bin/env python3
"""Generated history of the field-service company (issue 23, parts 2 and 4).

Two profiles share this code (the same French names, customers, technicians, and the same way
of making one intervention's life through the ORM: done, signed with its evidence, invoiced,
posted, deposited on the approved platform, approved, paid):

``--profile demo``
    The demo company's last twelve months, dated relative to the day it runs: six months "on
    paper" (the customer signs the paper report, the invoice follows about 30 days later, as
    the seed measured), then the months with the suite (the invoice the same day). The manager's
    KPI dashboard shows the billing lead time falling from ~30 days to ~0; the to-cash dashboard
    shows the deposits, approvals and collections of those months. A few hundred interventions
    through the ORM under a moved clock (freezegun), in about 75 s of CPU: every record is what the
    suite itself makes (numbers, evidence hashes, posted invoices with their sequence, platform
    statuses), except the PDFs, small generated ones instead of wkhtmltopdf's (1.6 s each).
    Everything it makes is labelled as demo data: the interventions are on the project
    "Historique de démonstration (données générées)", their description starts with
    "[Démo]", the invoices' reference is "Historique de démonstration".
    setup/run.sh runs it once, right after it builds the demo database.

``--profile large``
    See ``large_profile``: one example of each kind through the ORM, cloned in bulk in SQL.

Usage (Odoo's python; the addons path of the repository):

    python setup/history.py -d DB --profile demo [--seed 23] [--months-paper 6 --months-suite 6]
"""

import argparse
import base64
import io
import itertools
import os
import random
import sys
import time
import uuid
from contextlib import ExitStack
from datetime import date, datetime, timedelta, timezone
from datetime import time as dtime
from pathlib import Path
from unittest.mock import patch
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
DEMO_PROJECT = "Historique de démonstration (données générées)"
DEMO_REF = "Historique de démonstration"
DEMO_TAG = "[Démo]"
PARIS = ZoneInfo("Europe/Paris")
LARGE_PROJECT = "Maintenance multi-sites (données générées)"

FIRST_NAMES = [
    "Thomas", "Camille", "Nicolas", "Léa", "Antoine", "Manon", "Maxime", "Chloé", "Alexandre", "Inès",
    "Hugo", "Sarah", "Lucas", "Emma", "Romain", "Julie", "Mathieu", "Pauline", "Kevin", "Laura",
    "Guillaume", "Marion", "Florian", "Claire", "Adrien", "Elodie", "Baptiste", "Lucie", "Quentin", "Anaïs",
]  # fmt: skip
LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Durand", "Lefebvre", "Leroy", "Moreau", "Simon", "Laurent", "Michel",
    "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Girard", "Bonnet", "Dupont", "Lambert",
    "Fontaine", "Rousseau", "Blanc", "Guerin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Mathieu",
]  # fmt: skip
BUSINESSES = [
    "Boulangerie", "Restaurant", "Hôtel", "Pharmacie", "Clinique", "Supermarché", "Lycée", "Crèche",
    "Résidence", "Brasserie", "Fromagerie", "Boucherie", "Laboratoire", "Cabinet médical", "Garage",
]  # fmt: skip
CITIES = [
    ("69001", "Lyon"), ("69003", "Lyon"), ("69006", "Lyon"), ("69100", "Villeurbanne"), ("69500", "Bron"),
    ("69200", "Vénissieux"), ("69300", "Caluire-et-Cuire"), ("69130", "Écully"), ("69800", "Saint-Priest"),
    ("69400", "Villefranche-sur-Saône"), ("38200", "Vienne"), ("42000", "Saint-Étienne"),
]  # fmt: skip
STREETS = [
    "rue de la République", "avenue Jean Jaurès", "cours Lafayette", "rue Garibaldi", "boulevard des Belges",
    "rue Paul Bert", "avenue Berthelot", "rue Victor Hugo", "place Bellecour", "rue du Président Édouard Herriot",
]  # fmt: skip
WORK = [
    ("Entretien annuel de la chaudière, nettoyage du brûleur.", "RAS."),
    ("Dépannage climatisation : recharge et contrôle d'étanchéité.", "Fuite légère sur le raccord, resserré."),
    ("Visite de contrôle de la chaufferie collective.", "Vase d'expansion à surveiller."),
    ("Remplacement du thermocouple et réglage de la combustion.", "Appareil ancien, prévoir le remplacement."),
    ("Nettoyage des filtres de la centrale de traitement d'air.", "Filtres très encrassés."),
]


def siren_with_key(base8):
    """A SIREN (Luhn key) from 8 digits."""
    digits = [int(c) for c in f"{base8:08d}"]
    for key in range(10):
        total = 0
        for index, digit in enumerate([*digits, key]):
            if index % 2 == 1:
                digit *= 2
                digit = digit - 9 if digit > 9 else digit
            total += digit
        if total % 10 == 0:
            return f"{base8:08d}{key}"
    raise AssertionError


def siret_of(siren):
    """The SIRET of the head office (NIC 0001x with its Luhn key)."""
    for key in range(10):
        candidate = f"{siren}0001{key}"
        total = 0
        for index, c in enumerate(reversed(candidate)):
            digit = int(c) * (2 if index % 2 else 1)
            total += digit - 9 if digit > 9 else digit
        if total % 10 == 0:
            return candidate
    raise AssertionError


def vat_of(siren):
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


def small_pdf(title, lines=()):
    """A small valid one-page PDF (reportlab, a few ms): stands for wkhtmltopdf's rendering."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    page.setTitle(title)
    page.setFont("Helvetica-Bold", 14)
    page.drawString(60, 780, title)
    page.setFont("Helvetica", 10)
    for index, line in enumerate(lines):
        page.drawString(60, 750 - 16 * index, line)
    page.showPage()
    page.save()
    return buffer.getvalue()


def signature_png(rng):
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    points = [(10 + 40 * i, rng.randint(20, 80)) for i in range(8)]
    ImageDraw.Draw(image).line(points, fill=(0, 0, 139, 255), width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def working_days(start, end):
    day = start
    while day < end:
        if day.weekday() < 5:
            yield day
        day += timedelta(days=1)


def next_working_day(day):
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def at(day, hour, minute=0):
    """The naive UTC datetime (as Odoo stores them) of a day at a Paris hour."""
    return datetime.combine(day, dtime(hour, minute), PARIS).astimezone(timezone.utc).replace(tzinfo=None)


class People:
    """French technicians and customers (with their sites) made through the ORM."""

    def __init__(self, env, rng):
        self.env = env
        self.rng = rng
        self.company = env.ref("base.main_company")
        self.used_names = set(env["res.users"].search([]).mapped("name"))

    def person_name(self):
        for _attempt in range(1000):
            name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
            if name not in self.used_names:
                self.used_names.add(name)
                return name
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)} {len(self.used_names)}"

    def technicians(self, count, login_prefix):
        from odoo import Command

        group = self.env.ref("field_intervention.group_field_intervention_technician")
        names = [self.person_name() for _i in range(count)]
        users = (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                [
                    {
                        "name": name,
                        "login": f"{login_prefix}{index + 1}",
                        "email": f"{login_prefix}{index + 1}@thermiclim.example.com",
                        "tz": "Europe/Paris",
                        "lang": "fr_FR",
                        "company_id": self.company.id,
                        "company_ids": [Command.set(self.company.ids)],
                        "groups_id": [Command.set([self.env.ref("base.group_user").id, group.id])],
                    }
                    for index, name in enumerate(names)
                ]
            )
        )
        self.env["hr.employee"].create(
            [
                {"name": user.name, "user_id": user.id, "company_id": self.company.id, "job_title": "Technicien"}
                for user in users
            ]
        )
        return users

    def customers(self, count, first_siren_base, sites_per_customer=(1, 3)):
        """``count`` French business customers (valid SIREN/SIRET/VAT, invoiced by email with
        their Factur-X, as the demo's) and their sites; returns [(customer, [sites])]."""
        values, sites = [], []
        for index in range(count):
            siren = siren_with_key(first_siren_base + index * 7)
            zip_code, city = self.rng.choice(CITIES)
            business = self.rng.choice(BUSINESSES)
            name = f"{business} {self.rng.choice(LAST_NAMES)}"
            slug = f"{business[:4]}{index}".lower().replace("é", "e").replace("è", "e").replace(" ", "")
            values.append(
                {
                    "name": f"{name} SARL" if index % 3 else f"{name} SAS",
                    "is_company": True,
                    "lang": "fr_FR",
                    "company_registry": siren,
                    "siret": siret_of(siren),
                    "vat": vat_of(siren),
                    "street": f"{self.rng.randint(1, 120)} {self.rng.choice(STREETS)}",
                    "zip": zip_code,
                    "city": city,
                    "country_id": self.env.ref("base.fr").id,
                    "email": f"comptabilite@{slug}.example.com",
                    "invoice_sending_method": "email",
                    "invoice_edi_format": "facturx",
                }
            )
            sites.append(self.rng.randint(*sites_per_customer))
        partners = self.env["res.partner"].create(values)
        site_values = []
        for partner, site_count in zip(partners, sites, strict=True):
            for number in range(site_count):
                zip_code, city = self.rng.choice(CITIES)
                site_values.append(
                    {
                        "name": f"Site {number + 1} – {city}",
                        "parent_id": partner.id,
                        "type": "other",
                        "street": f"{self.rng.randint(1, 120)} {self.rng.choice(STREETS)}",
                        "zip": zip_code,
                        "city": city,
                        "country_id": self.env.ref("base.fr").id,
                    }
                )
        site_records = self.env["res.partner"].create(site_values)
        by_parent = {}
        for site in site_records:
            by_parent.setdefault(site.parent_id.id, []).append(site)
        return [(partner, by_parent.get(partner.id, [partner])) for partner in partners]


class FakeRendering:
    """The signed PDF's two renderings (report, evidence page) replaced by small generated PDFs
    while the history is made; everything else of the signature job runs as it is."""

    def __init__(self, env):
        self.env = env

    def __enter__(self):
        self.stack = ExitStack()
        intervention_cls = type(self.env["field.intervention"])
        signature_cls = type(self.env["field.intervention.signature"])

        def report_pdf(intervention):
            return small_pdf(
                f"Rapport d'intervention {intervention.name}",
                [f"{DEMO_TAG} {DEMO_PROJECT}", intervention.partner_id.display_name or ""],
            )

        def evidence_page(signature):
            return small_pdf(
                "Preuve de signature",
                [signature.signer_name or "", f"SHA-256 {signature.content_hash or ''}", DEMO_PROJECT],
            )

        self.stack.enter_context(patch.object(intervention_cls, "_fi_render_report_pdf", report_pdf))
        self.stack.enter_context(patch.object(signature_cls, "_render_evidence_page", evidence_page))
        return self

    def __exit__(self, *exc):
        return self.stack.__exit__(*exc)


class Life:
    """One intervention's life through the suite's own methods, at the dates of a moved clock."""

    def __init__(self, env, clock, rng):
        self.env = env
        self.clock = clock
        self.rng = rng
        self.png = [signature_png(rng) for _i in range(5)]
        self.bank_journal = env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", env.ref("base.main_company").id)], limit=1
        )

    def move_to(self, moment):
        self.clock.move_to(moment)

    def done(self, task, technicians, start, hours, parts, travel, photo=None):
        """A done intervention: worked time of the technicians from ``start``, parts, travel,
        a photo (base64 image) if given."""
        from odoo import Command

        self.move_to(start + timedelta(hours=hours + 0.25))
        description, findings = self.rng.choice(WORK)
        intervention = self.env["field.intervention"].create(
            {
                "task_id": task.id,
                "technician_ids": [Command.set(technicians.ids)],
                "planned_date": start,
                "travel_duration": travel,
                "work_description": f"{DEMO_TAG} {description}",
                "findings": findings,
                "time_ids": [Command.create({"date_start": start, "date_end": start + timedelta(hours=hours)})],
                "part_ids": [Command.create({"product_id": product.id, "quantity": qty}) for product, qty in parts],
                "photo_ids": [Command.create({"name": "Avant intervention", "image": photo})] if photo else [],
            }
        )
        intervention.checklist_line_ids.write({"result": "done"})
        intervention.action_done()
        return intervention

    def sign(self, intervention, when, signer, refuse=False, reserves=""):
        """The customer's decision on the technician's device, then what the signature's
        scheduled action does right after (the signed PDF; the emails are not sent for the past)."""
        self.move_to(when)
        technician = intervention.technician_ids[:1]
        intervention.with_user(technician)._fi_submit_signature(
            {
                "decision": "refuse" if refuse else "sign",
                "signer_name": signer,
                "signer_email": "",
                "signer_role": "device",
                "signature": self.rng.choice(self.png),
                "reserves": reserves,
                "refusal_reason": "Travaux non conformes au devis" if refuse else "",
            },
            {"user": technician},
        )
        intervention_sudo = intervention.sudo()
        if intervention_sudo.sign_pdf_pending:
            intervention_sudo._fi_generate_signed_pdf()
        # the history's emails are not sent (they would leave today); the job is over
        intervention_sudo.write({"sign_mail_pending": False, "sign_pending_job": False, "sign_job_next_try": False})
        return intervention_sudo

    def invoice(self, interventions, when):
        """The invoicing (as the scheduled action does) and billing's posting, on ``when``:
        {intervention id: its invoice}."""
        self.move_to(when)
        _moves, errors = interventions._fi_invoice_isolated(notify=False)
        if errors:
            raise RuntimeError(f"invoicing failed: {errors}")
        moves = interventions.invoice_id.sorted("id")
        moves.write({"invoice_date": when.date(), "ref": DEMO_REF})
        moves.action_post()
        return {intervention.id: intervention.invoice_id for intervention in interventions}

    def deposit(self, moves, when):
        """The platform took the files (what the deposit scheduled action records), 200 Déposée."""
        self.move_to(when)
        for move in moves:
            flow = move.sudo().l10n_fr_pa_flow_ids.filtered(lambda f: f.flow_type == "CustomerInvoice")[-1:]
            if flow:
                flow.write({"state": "sent", "submitted_at": when, "pa_flow_id": f"demo-{flow.tracking_id}"})
        self.status(moves.filtered("l10n_fr_pa_flow_ids"), "200", when)

    def status(self, moves, code, when, source="platform", reason=None):
        """A lifecycle status of the platform on each invoice (each one its own lifecycle flow)."""
        self.move_to(when)
        Status = self.env["l10n_fr_pa.status"].sudo()
        siren = self.env.ref("base.main_company").partner_id._l10n_fr_siren()
        return Status.create(
            [
                {
                    "company_id": move.company_id.id,
                    "move_id": move.id,
                    "code": code,
                    "label": Status._status_label(code),
                    "date": when,
                    "received_at": when,
                    "source": source,
                    "pa_flow_id": f"demo-lc-{uuid.uuid4()}",
                    "invoice_number": move.name,
                    "invoice_date": move.invoice_date,
                    "seller_siren": siren,
                    "reason": reason or False,
                }
                for move in moves
            ]
        )

    def collect(self, moves, when):
        """The customers pay (one payment per invoice): the payments registered, then our 212
        Encaissée deposited for each."""
        self.move_to(when)
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=moves.ids).create(
            {
                "payment_date": when.date(),
                "group_payment": False,
                **({"journal_id": self.bank_journal.id} if self.bank_journal else {}),
            }
        )._create_payments()
        for move_sudo in moves.sudo():
            if not move_sudo._l10n_fr_pa_declares_collection():
                continue
            amount = move_sudo._l10n_fr_pa_collected() - move_sudo.l10n_fr_pa_collected_sent
            flow = move_sudo._l10n_fr_pa_enqueue_collection(amount)
            move_sudo.l10n_fr_pa_collected_sent = move_sudo._l10n_fr_pa_collected()
            flow.write({"state": "sent", "submitted_at": when, "pa_flow_id": f"demo-{flow.tracking_id}"})
            move_sudo._l10n_fr_pa_record_own_status(flow)


def month_start(day, back):
    """First day of the month ``back`` months before ``day``'s."""
    year, month = day.year, day.month - back
    while month <= 0:
        month += 12
        year -= 1
    return date(year, month, 1)


def demo_world(env, rng, args):
    """The demo's technicians and customers (the demo data's and generated ones), and the
    labelled project with one mission per customer site."""
    from odoo import Command

    people = People(env, rng)
    techs = env.ref("field_intervention.user_tech1_demo") | env.ref("field_intervention.user_tech2_demo")
    techs |= people.technicians(args.technicians, "tech.histo")
    ref = env.ref
    customers = [
        (ref("field_intervention.partner_boulangerie_demo"), [ref("field_intervention.partner_boulangerie_site_demo")]),
        (ref("field_intervention.partner_hotel_demo"), [ref("field_intervention.partner_hotel_demo")]),
        (ref("field_intervention.partner_copro_demo"), [ref("field_intervention.partner_copro_demo")]),
    ]
    customers += people.customers(args.customers, 80100000)
    part_products = [
        ref("field_intervention.product_filter_demo"),
        ref("field_intervention.product_gasket_demo"),
        ref("field_intervention.product_thermocouple_demo"),
    ]
    project = env["project.project"].create(
        {
            "name": DEMO_PROJECT,
            "description": "Données de démonstration générées par setup/history.py : six mois de bons papier "
            "(facture environ 30 jours après la signature) puis les mois avec la suite (facture le jour même).",
            "is_field_service": True,
            "allow_timesheets": True,
            "privacy_visibility": "employees",
            "labour_product_id": ref("field_intervention.product_labour_demo").id,
            "travel_product_id": ref("field_intervention.product_travel_demo").id,
            "part_product_ids": [Command.set([p.id for p in part_products])],
            "company_id": ref("base.main_company").id,
        }
    )
    sites = [(customer, site) for customer, customer_sites in customers for site in customer_sites]
    tasks = env["project.task"].create(
        [
            {
                "name": f"{DEMO_TAG} Contrat de maintenance – {site.display_name}",
                "project_id": project.id,
                "partner_id": customer.id,
                "intervention_site_id": site.id if site != customer else False,
                "user_ids": [Command.set(techs.ids)],
            }
            for customer, site in sites
        ]
    )
    return {
        "people": people,
        "techs": techs,
        "customers": customers,
        "late_payers": {customers[1][0].id, customers[4][0].id},  # the hotel and one more pay late
        "part_products": part_products,
        "project": project,
        "sites": [(customer, site, task) for (customer, site), task in zip(sites, tasks, strict=True)],
        # the condominium (a large contract) calls more often; the demo's customers more than the others
        "weights": [6 if index == 2 else 3 if index < 3 else 2 for index, __ in enumerate(sites)],
    }


def demo_plans(env, rng, args, world, first, suite_from, today):
    """Each working day's interventions (who, where, what), signed the same day."""
    plans = []
    for day in working_days(first, today):
        for _n in range(rng.choice(args.per_day)):
            customer, _site, task = rng.choices(world["sites"], weights=world["weights"])[0]
            start = at(day, rng.choice((8, 9, 10, 13, 14, 15)), rng.choice((0, 15, 30)))
            hours = rng.choice((1.0, 1.5, 2.0, 2.5, 3.0))
            parts = rng.sample(world["part_products"], rng.randint(0, 2))
            plans.append(
                {
                    "day": day,
                    "paper": day < suite_from,
                    "task": task,
                    "techs": env["res.users"].browse(rng.sample(world["techs"].ids, rng.choice((1, 1, 1, 2)))),
                    "start": start,
                    "hours": hours,
                    "signed_at": start + timedelta(hours=hours, minutes=10),
                    "travel": rng.choice((0.25, 0.5, 0.75)),
                    "parts": [(product, float(rng.randint(1, 3))) for product in parts],
                    "signer": world["people"].person_name(),
                    "refuse": rng.random() < 0.03,
                    "reserves": "Bruit anormal au redémarrage, à revoir." if rng.random() < 0.05 else "",
                    "late": customer.id in world["late_payers"],
                }
            )
    return plans


def demo_events(rng, plans, now):
    """The dated events of the interventions' lives, grouped in batches: billing works by day
    (the invoices of a day are made and posted together), the platform's statuses and the
    payments arrive by day. [(when, kind, [plan indexes])] in the order of their dates."""
    events = []
    for index, plan in enumerate(plans):
        events.append((plan["signed_at"], 0, index, "sign"))
        if plan["refuse"]:
            continue
        if plan["paper"]:
            # the paper report travels to the office, is typed, then invoiced: about 30 days
            lag = max(15, min(50, round(rng.gauss(30, 6))))
            invoiced = at(next_working_day(plan["day"] + timedelta(days=lag)), 11)
        elif rng.random() < 0.15 or plan["signed_at"] >= at(plan["day"], 17, 30):
            invoiced = at(next_working_day(plan["day"] + timedelta(days=1)), 9, 30)  # the next morning
        else:
            invoiced = at(plan["day"], 17, 45)  # the draft follows the signature, posted that evening
        if invoiced >= now:
            continue  # not invoiced yet: the unbilled work of today
        deposited = invoiced + timedelta(minutes=20)
        approved = at(next_working_day(deposited.date() + timedelta(days=rng.randint(1, 6))), 10)
        disputed = rng.random() < 0.05
        if disputed:
            approved = at(next_working_day(approved.date() + timedelta(days=10)), 10)
        delay = rng.randint(60, 90) if plan["late"] else max(3, round(rng.gauss(25, 8)))
        paid = at(next_working_day(approved.date() + timedelta(days=delay)), 15)
        events.append((invoiced, 1, index, "invoice"))
        events.append((deposited, 2, index, "deposit"))
        if disputed and deposited + timedelta(days=3) < now:
            events.append((at(deposited.date() + timedelta(days=3), 12), 3, index, "dispute"))
        if approved < now:
            events.append((approved, 4, index, "approve"))
        if paid < now:
            events.append((paid, 5, index, "collect"))
    events.sort(key=lambda event: event[:3])
    batches = []
    for when, _order, index, kind in events:
        if batches and batches[-1][0] == when and batches[-1][1] == kind and kind != "sign":
            batches[-1][2].append(index)
        else:
            batches.append((when, kind, [index]))
    return batches


def play(env, rng, plans, batches):
    """Live the batches in the order of their dates, the clock moved to each."""
    from freezegun import freeze_time

    counts = dict.fromkeys(("sign", "invoice", "deposit", "dispute", "approve", "collect"), 0)
    interventions, moves = {}, {}
    with freeze_time(batches[0][0]) as clock, FakeRendering(env):
        life = Life(env, clock, rng)
        for when, kind, indexes in batches:
            if kind == "sign":
                plan = plans[indexes[0]]
                intervention = life.done(
                    plan["task"], plan["techs"], plan["start"], plan["hours"], plan["parts"], plan["travel"]
                )
                interventions[indexes[0]] = life.sign(
                    intervention, when, plan["signer"], plan["refuse"], plan["reserves"]
                )
            elif kind == "invoice":
                batch = env["field.intervention"].sudo().concat(*(interventions[i] for i in indexes))
                invoices = life.invoice(batch, when)
                moves.update({i: invoices[interventions[i].id] for i in indexes})
            else:
                batch = env["account.move"].concat(*(moves[i] for i in indexes))
                if kind == "deposit":
                    life.deposit(batch, when)
                elif kind == "dispute":
                    life.status(batch, "207", when, reason="Quantité de pièces contestée")
                elif kind == "approve":
                    life.status(batch, "205", when)
                else:
                    life.collect(batch, when)
            counts[kind] += len(indexes)
    env.flush_all()
    return counts


def demo_profile(env, args):
    """The demo company's history (see the module's docstring)."""
    started = time.time()
    rng = random.Random(args.seed)
    env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True, mail_notrack=True))
    if env["project.project"].search_count([("name", "=", DEMO_PROJECT)]):
        print(f"history: {DEMO_PROJECT!r} already exists in this database, nothing done")
        return None
    today = date.today()
    world = demo_world(env, rng, args)
    first = month_start(today, args.months_paper + args.months_suite)
    suite_from = month_start(today, args.months_suite)
    plans = demo_plans(env, rng, args, world, first, suite_from, today)
    batches = demo_events(rng, plans, datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(minutes=5))
    counts = play(env, rng, plans, batches)
    elapsed = time.time() - started
    paper = sum(1 for p in plans if p["paper"])
    print(
        f"history (demo): {len(plans)} interventions from {first} to {today} ({paper} on paper until "
        f"{suite_from}, {len(plans) - paper} with the suite), {len(world['techs'])} technicians, "
        f"{len(world['customers'])} customers; {counts['sign']} decisions, {counts['invoice']} invoices posted, "
        f"{counts['deposit']} deposited, {counts['approve']} approved, {counts['dispute']} disputed, "
        f"{counts['collect']} collected; {elapsed:.0f} s"
    )
    return {"plans": len(plans), "counts": counts, "project_id": world["project"].id, "seconds": elapsed}


# ---------------------------------------------------------------------------------------------
# The large profile: one example of each kind through the ORM, then bulk clones in SQL
# ---------------------------------------------------------------------------------------------
# Tables cloned with an intervention: the rows that reference it (children, found through the
# database's foreign keys) and the rows it references among these tables (its invoice, the
# payment and its entries...), closed over both directions. Rows of other tables (partners,
# products, journals, accounts, users) are shared by the copies, or replaced per copy.
CLONED_TABLES = (
    "field_intervention", "field_intervention_res_users_rel", "field_intervention_part", "field_intervention_time",
    "field_intervention_checklist_line", "field_intervention_photo", "field_intervention_signature",
    "field_intervention_sign_event", "account_analytic_line", "account_move", "account_move_line",
    "account_partial_reconcile", "account_full_reconcile", "account_payment", "account_move__account_payment",
    "l10n_fr_pa_flow", "l10n_fr_pa_status", "l10n_fr_pa_flow_attempt",
)  # fmt: skip
# kinds of intervention lives: (name, share of the interventions, what happens after the work)
KINDS = {
    "paid": "signed, invoiced the same day, deposited, approved, paid ~25 days later",
    "paid_reserves": "signed with reserves, invoiced, deposited, approved, paid",
    "paid_late": "signed, invoiced, deposited, approved, paid ~75 days later (late payer)",
    "approved": "signed, invoiced, deposited, approved, not paid yet",
    "disputed": "signed, invoiced, deposited, disputed on the platform (207)",
    "refused": "refused by the customer (disputed)",
    "signed": "signed, not invoiced yet",
    "done": "done, not signed yet",
}
NUMBERED = "NUM0000000000000000"  # the place of the record's number in the generated PDFs
UNIQUE_HASH = "encode(sha256((src.%s || m.new_id)::bytea), 'hex')"  # a copy's own SHA-256


def numbered_pdf_template():
    """An uncompressed small PDF with a fixed-width placeholder: each copy's PDF is this one
    with its own number in the placeholder (same length: the PDF stays valid, the bytes and
    hashes differ)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, pageCompression=0)
    page.setFont("Helvetica-Bold", 14)
    page.drawString(60, 780, "Rapport d'intervention signé (données générées)")
    page.setFont("Helvetica", 11)
    page.drawString(60, 750, NUMBERED)
    page.showPage()
    page.save()
    data = buffer.getvalue()
    assert data.count(NUMBERED.encode()) == 1
    return data


def large_world(env, rng, args):
    """Technicians, customers with their sites (a few very large ones), a project, one mission
    per site, through the ORM (batched)."""
    from odoo import Command

    people = People(env, rng)
    scale = args.scale
    techs = people.technicians(max(2, round(1000 * scale)), f"tech.large.{int(time.time())}.")
    n_customers = max(8, round(3000 * scale))
    customers = people.customers(n_customers, 70000000, sites_per_customer=(1, 3))
    # the very large customers: many sites (a national retailer, a hospital group...)
    for customer, sites in customers[:5]:
        extra = env["res.partner"].create(
            [
                {"name": f"Site {n + len(sites) + 1} – {customer.name}", "parent_id": customer.id, "type": "other",
                 "city": rng.choice(CITIES)[1], "zip": "69000", "country_id": env.ref("base.fr").id}
                for n in range(max(5, round(200 * scale)))
            ]
        )  # fmt: skip
        sites.extend(extra)
    labour, travel, *parts = env["product.product"].create(
        [
            {"name": "Main d'œuvre (large)", "type": "service", "list_price": 62.0, "invoice_policy": "delivery",
             "uom_id": env.ref("uom.product_uom_hour").id, "uom_po_id": env.ref("uom.product_uom_hour").id,
             "service_type": "timesheet"},
            {"name": "Déplacement (large)", "type": "service", "list_price": 40.0, "invoice_policy": "delivery"},
            {"name": "Filtre F-300 (large)", "type": "consu", "list_price": 22.0, "invoice_policy": "delivery"},
            {"name": "Joint J-20 (large)", "type": "consu", "list_price": 3.5, "invoice_policy": "delivery"},
        ]
    )  # fmt: skip
    tax = (
        env["account.chart.template"]
        .with_company(env.company)
        .ref("tva_normale_encaissement", raise_if_not_found=False)
    )
    if tax:
        (labour | travel).taxes_id = tax
    project = env["project.project"].create(
        {
            "name": LARGE_PROJECT,
            "is_field_service": True,
            "allow_timesheets": True,
            "privacy_visibility": "portal",
            "labour_product_id": labour.id,
            "travel_product_id": travel.id,
            "part_product_ids": [Command.set([p.id for p in parts])],
            "company_id": env.company.id,
        }
    )
    sites = [(customer, site) for customer, customer_sites in customers for site in customer_sites]
    tasks = env["project.task"].create(
        [
            {"name": f"Contrat {site.display_name}", "project_id": project.id, "partner_id": customer.id,
             "intervention_site_id": site.id if site != customer else False}
            for customer, site in sites
        ]
    )  # fmt: skip
    employees = {
        employee.user_id.id: employee.id for employee in env["hr.employee"].search([("user_id", "in", techs.ids)])
    }
    return {
        "techs": techs,
        "employees": employees,
        "customers": customers,
        "sites": [(c, s, t) for (c, s), t in zip(sites, tasks, strict=True)],
        "project": project,
        "labour": labour,
        "parts": parts,
    }


def large_templates(env, rng, world, when):
    """One intervention of each kind, lived through the ORM on ``when`` (and after)."""
    from freezegun import freeze_time

    _customer, _site, task = world["sites"][0]
    tech = world["techs"][:1]
    templates = {}
    photo = signature_png(rng)
    with freeze_time(when) as clock, FakeRendering(env):
        life = Life(env, clock, rng)
        for kind in KINDS:
            start = when + timedelta(hours=len(templates) % 6)
            parts = [(world["parts"][0], 1.0), (world["parts"][1], 2.0)]
            templates[kind] = life.done(task, tech, start, 2.0, parts, 0.5, photo=photo)
        signed_at = when + timedelta(hours=3)
        for kind, intervention in templates.items():
            if kind == "done":
                continue
            life.sign(intervention, signed_at, "Jean Martin", refuse=kind == "refused",
                      reserves="Bruit au redémarrage." if kind == "paid_reserves" else "")  # fmt: skip
        invoiced = at(when.date(), 17, 45)
        to_invoice = [k for k in templates if k not in ("done", "signed", "refused")]
        moves = life.invoice(env["field.intervention"].sudo().concat(*(templates[k] for k in to_invoice)), invoiced)
        batch = env["account.move"].concat(*(moves[templates[k].id] for k in to_invoice))
        life.deposit(batch, invoiced + timedelta(minutes=20))
        approved = [moves[templates[k].id] for k in to_invoice if k != "disputed"]
        life.status(env["account.move"].concat(*approved), "205", at(when.date() + timedelta(days=3), 10))
        life.status(moves[templates["disputed"].id], "207", at(when.date() + timedelta(days=3), 10),
                    reason="Quantité contestée")  # fmt: skip
        for kind, days in (("paid", 25), ("paid_reserves", 30), ("paid_late", 75)):
            life.collect(moves[templates[kind].id], at(when.date() + timedelta(days=days), 15))
    env.flush_all()
    return templates


def large_copies(rng, world, args, today):
    """The copies: for each, its kind (its template), date, technician, customer, site, mission.
    Realistic distributions: customers by a Zipf-like law (one very large customer with 2 % of
    the interventions, four more with 1 %), technicians evenly, working days, recent ones not
    yet invoiced or paid, late payers."""
    n = max(50, round(300000 * args.scale))
    days = list(working_days(today - timedelta(days=3 * 365), today))
    sites_by_customer = {}
    for customer, site, task in world["sites"]:
        sites_by_customer.setdefault(customer.id, []).append((site.id, task.id))
    customers = list(sites_by_customer)
    big = customers[:5]
    cumulative = list(itertools.accumulate(1.0 / (rank + 10) for rank in range(len(customers))))
    late = set(rng.sample(customers[5:], max(1, len(customers) // 20)))
    techs = world["techs"].ids
    rows = []
    for g in range(1, n + 1):
        draw = rng.random()
        customer = (
            big[0]
            if draw < 0.02
            else rng.choice(big[1:])
            if draw < 0.06
            else rng.choices(customers, cum_weights=cumulative)[0]
        )
        day = rng.choice(days)
        age = (today - day).days
        if age <= 1:
            kind = rng.choice(("done", "signed"))
        elif rng.random() < 0.02:
            kind = "refused"
        elif rng.random() < 0.03:
            kind = "disputed"
        elif customer in late:
            kind = "paid_late" if age > 80 else "approved"
        elif age < 30:
            kind = "approved"
        else:
            kind = "paid_reserves" if rng.random() < 0.05 else "paid"
        site, task = rng.choice(sites_by_customer[customer])
        tech = rng.choice(techs)
        rows.append((g, kind, day, customer, site, task, tech))
    rows.sort(key=lambda row: (row[2], row[0]))
    return rows


def large_profile(env, args):
    """A company twenty times the seed's (1,000 technicians, 100,000 interventions a year over
    three years at --scale 1): the world and one example of each kind through the ORM, then
    every other intervention cloned in SQL from its kind's example (unique numbers, hashes,
    tokens, one small valid signed PDF per record in the file store), then core's twin data
    (sale orders of the same customers). Prints its time, size and distributions."""
    started = time.time()
    rng = random.Random(args.seed)
    env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True, mail_notrack=True))
    if env["project.project"].search_count([("name", "=", LARGE_PROJECT)]):
        # one transaction: the project is there only if a whole run was committed
        print(f"history: {LARGE_PROJECT!r} already exists in this database, nothing done")
        return
    today = date.today()
    world = large_world(env, rng, args)
    print(f"world: {len(world['techs'])} technicians, {len(world['customers'])} customers, "
          f"{len(world['sites'])} sites/missions ({time.time() - started:.0f} s)", flush=True)  # fmt: skip
    origin = at(today - timedelta(days=3 * 365 + 10), 8)
    templates = large_templates(env, rng, world, origin)
    print(
        f"templates: {', '.join(f'{k} {t.name}' for k, t in templates.items())} ({time.time() - started:.0f} s)",
        flush=True,
    )
    rows = large_copies(rng, world, args, today)
    cloner = Cloner(env, templates, world, origin)
    cloner.load_copies(rows)
    cloner.clone_interventions()
    print(f"interventions cloned ({time.time() - started:.0f} s)", flush=True)
    cloner.renumber()
    cloner.signed_pdfs()
    cloner.core_twins(rng, args)
    coming = large_coming_days(env, rng, world)
    print(f"coming days: {coming} missions planned for the busiest technicians", flush=True)
    env.cr.execute("ANALYZE")
    env.invalidate_all()
    report(env, rows, started)


def large_coming_days(env, rng, world):
    """The busiest technicians' coming days (the phone's day download measures the busiest's):
    two missions a day from today to three days ahead (Paris days) for the hundredth of the
    technicians with the most interventions (at least two), through the ORM (a few dozen)."""
    from odoo import Command

    env.cr.execute(
        """SELECT user_id FROM field_intervention_res_users_rel WHERE user_id = ANY(%s)
            GROUP BY 1 ORDER BY count(*) DESC, user_id LIMIT %s""",
        [world["techs"].ids, max(2, len(world["techs"]) // 100)],
    )
    busiest = [user_id for (user_id,) in env.cr.fetchall()]
    today = datetime.now(PARIS).date()
    values = [
        {
            "task_id": rng.choice(world["sites"])[2].id,
            "technician_ids": [Command.set([user_id])],
            "planned_date": at(today + timedelta(days=offset), hour),
            "work_description": rng.choice(WORK)[0],
        }
        for user_id in busiest
        for offset in range(4)
        for hour in (8, 14)
    ]
    env["field.intervention"].create(values)
    env.flush_all()
    return len(values)


class Cloner:
    """Bulk copies of the templates' rows in SQL: one new row per (template row, copy), every
    foreign key between cloned rows pointing to the copy's own rows."""

    def __init__(self, env, templates, world, origin):
        self.env = env
        self.cr = env.cr
        self.templates = templates
        self.world = world
        self.origin = origin

    def sql(self, query, params=None):
        self.cr.execute(query, params)

    def load_copies(self, rows):
        """The copies' attributes, by COPY into a temporary table."""
        employees = self.world["employees"]
        kind_template = {kind: rec.id for kind, rec in self.templates.items()}
        self.sql(
            """CREATE TEMP TABLE gen_copy (g int PRIMARY KEY, kind text, template int, day date, shift interval,
                                            partner int, site int, task int, tech int, employee int)"""
        )
        buffer = io.StringIO()
        for g, kind, day, customer, site, task, tech in rows:
            shift = (day - self.origin.date()).days
            buffer.write(f"{g}\t{kind}\t{kind_template[kind]}\t{day}\t{shift} days\t{customer}\t{site}\t{task}\t"
                         f"{tech}\t{employees.get(tech, '')}\n".replace("\t\n", "\t\\N\n"))  # fmt: skip
        buffer.seek(0)
        self.cr._obj.copy_expert("COPY gen_copy FROM STDIN", buffer)
        self.sql("ANALYZE gen_copy")

    def columns(self, table):
        self.sql(
            """SELECT column_name, data_type FROM information_schema.columns
                WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position""",
            [table],
        )
        return self.cr.fetchall()

    def foreign_keys(self, table):
        """{column: referenced table} of ``table``'s single-column foreign keys."""
        self.sql(
            """SELECT a.attname, c.confrelid::regclass::text
                 FROM pg_constraint c
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                WHERE c.contype = 'f' AND c.conrelid = %s::regclass AND array_length(c.conkey, 1) = 1""",
            [table],
        )
        return dict(self.cr.fetchall())

    def select_rows(self):
        """{table: {id: template intervention}}: the rows of each template's graph."""
        tables = [t for t in CLONED_TABLES if self.table_exists(t)]
        fks = {table: self.foreign_keys(table) for table in tables}
        has_id = {table: any(c == "id" for c, _t in self.columns(table)) for table in tables}
        rows = {table: {} for table in tables}
        for template in self.templates.values():
            rows["field_intervention"][template.id] = template.id
        changed = True
        while changed:
            changed = False
            for table in tables:
                if not has_id[table]:
                    continue
                for column, target in fks[table].items():
                    if target not in rows:
                        continue
                    # children: rows of ``table`` referencing selected rows of ``target``
                    self.sql(
                        f'SELECT id, "{column}" FROM "{table}" WHERE "{column}" = ANY(%s)',
                        [list(rows[target])],
                    )
                    for row_id, parent in self.cr.fetchall():
                        if row_id not in rows[table]:
                            rows[table][row_id] = rows[target][parent]
                            changed = True
                    # parents: rows of ``target`` referenced by selected rows of ``table``
                    if rows[table] and has_id.get(target):
                        self.sql(
                            f'SELECT id, "{column}" FROM "{table}" WHERE id = ANY(%s) AND "{column}" IS NOT NULL',
                            [list(rows[table])],
                        )
                        for row_id, parent in self.cr.fetchall():
                            if parent not in rows[target]:
                                rows[target][parent] = rows[table][row_id]
                                changed = True
        return tables, fks, has_id, rows

    def table_exists(self, table):
        self.sql("SELECT to_regclass(%s) IS NOT NULL", [table])
        return self.cr.fetchone()[0]

    def clone_interventions(self):
        tables, fks, has_id, rows = self.select_rows()
        self.tables, self.rows = tables, rows
        # attachments of the cloned rows (signed PDFs, photos, signature images, platform files)
        model_of = {table: table.replace("_", ".") for table in tables}
        model_of["l10n_fr_pa_flow"] = "l10n_fr_pa.flow"
        model_of["l10n_fr_pa_status"] = "l10n_fr_pa.status"
        attachments = {}
        for table in tables:
            if rows[table]:
                self.sql(
                    "SELECT id, res_id FROM ir_attachment WHERE res_model = %s AND res_id = ANY(%s)",
                    [model_of[table], list(rows[table])],
                )
                for att_id, res_id in self.cr.fetchall():
                    attachments[att_id] = (table, rows[table][res_id])
        rows["ir_attachment"] = {att_id: template for att_id, (_t, template) in attachments.items()}
        self.sql(
            """CREATE TEMP TABLE gen_att AS
               SELECT * FROM unnest(%s::int[], %s::text[]) AS a(old_id, res_tbl)""",
            [list(attachments), [table for table, _template in attachments.values()]],
        )
        # the new ids: one per (row, copy of its template)
        self.sql("CREATE TEMP TABLE gen_src (tbl text, old_id int, template int)")
        buffer = io.StringIO()
        for table, table_rows in rows.items():
            for old_id, template in table_rows.items():
                buffer.write(f"{table}\t{old_id}\t{template}\n")
        buffer.seek(0)
        self.cr._obj.copy_expert("COPY gen_src FROM STDIN", buffer)
        self.sql("CREATE TEMP TABLE gen_map (tbl text, old_id int, g int, new_id int)")
        with_id = [t for t in [*tables, "ir_attachment"] if has_id.get(t, True) and rows.get(t)]
        for table in with_id:
            self.sql(
                f"""INSERT INTO gen_map
                    SELECT s.tbl, s.old_id, c.g, nextval(pg_get_serial_sequence('"{table}"', 'id'))
                      FROM gen_src s JOIN gen_copy c ON c.template = s.template
                     WHERE s.tbl = %s""",
                [table],
            )
        self.sql("CREATE INDEX ON gen_map (tbl, old_id, g)")
        self.sql("CREATE INDEX ON gen_map (tbl, new_id)")
        self.sql("ANALYZE gen_map")
        fks["ir_attachment"] = self.foreign_keys("ir_attachment")
        cloned = set(with_id)
        # parents before children (by their required links); optional links set afterwards
        required = {t: {c for c, nullable in self.nullability(t) if not nullable} for t in with_id}
        order, left = [], list(with_id)
        while left:
            ready = [t for t in left if all(
                fks[t][c] not in cloned or fks[t][c] in order or fks[t][c] == t
                for c in required[t] if c in fks[t])]  # fmt: skip
            if not ready:
                raise RuntimeError(f"cyclic required links between {left}")
            order += ready
            left = [t for t in left if t not in ready]
        for table in order:
            started = time.time()
            self.insert(table, fks[table], cloned, required[table])
            print(f"  {table}: {self.cr.rowcount} rows ({time.time() - started:.0f} s)", flush=True)
        for table in order:
            self.link(table, fks[table], cloned, required[table])
        for table in tables:
            if not has_id[table]:
                self.insert_relation(table, fks[table])

    def nullability(self, table):
        self.sql(
            """SELECT column_name, is_nullable = 'YES' FROM information_schema.columns
                WHERE table_schema = 'public' AND table_name = %s""",
            [table],
        )
        return self.cr.fetchall()

    def expression(self, table, column, data_type):
        """SQL of a copy's value of ``column`` (src: the template's row, c: the copy)."""
        per_copy = {
            ("field_intervention", "partner_id"): "c.partner",
            ("field_intervention", "commercial_partner_id"): "c.partner",
            ("field_intervention", "site_id"): "c.site",
            ("field_intervention", "task_id"): "c.task",
            ("field_intervention", "name"): "'BI/' || to_char(c.day, 'YYYY') || '/G' || lpad(c.g::text, 7, '0')",
            ("field_intervention", "access_token"): "md5(random()::text || m.new_id)",
            ("account_analytic_line", "task_id"): "c.task",
            ("account_analytic_line", "user_id"): "c.tech",
            ("account_analytic_line", "employee_id"): "COALESCE(c.employee, src.employee_id)",
            ("account_analytic_line", "partner_id"): "c.partner",
            ("field_intervention_time", "user_id"): "c.tech",
            ("account_move", "partner_id"): "c.partner",
            ("account_move", "commercial_partner_id"): "c.partner",
            ("account_move", "partner_shipping_id"): "c.partner",
            ("account_move", "name"): "CASE WHEN src.name = '/' THEN '/' ELSE 'GEN/' || m.new_id END",
            ("account_move", "access_token"): "md5(random()::text || m.new_id)",
            ("account_move", "inalterable_hash"): "NULL",
            ("account_move_line", "partner_id"): "CASE WHEN src.partner_id IS NULL THEN NULL ELSE c.partner END",
            ("account_payment", "partner_id"): "c.partner",
            ("field_intervention_signature", "verify_token"): "md5(random()::text || m.new_id)",
            ("field_intervention_signature", "content_hash"): UNIQUE_HASH % "content_hash",
            ("field_intervention_signature", "submission_hash"): UNIQUE_HASH % "submission_hash",
            ("l10n_fr_pa_flow", "tracking_id"): "md5(random()::text || m.new_id)::uuid::text",
            ("l10n_fr_pa_flow", "pa_flow_id"): "'gen-' || m.new_id",
            ("l10n_fr_pa_status", "pa_flow_id"): "'gen-' || m.new_id",
            ("ir_attachment", "access_token"): "NULL",
        }  # fmt: skip
        if (table, column) in per_copy:
            return per_copy[table, column]
        if data_type in ("timestamp without time zone", "date"):
            return f'(src."{column}" + c.shift)::{"date" if data_type == "date" else "timestamp"}'
        return f'src."{column}"'

    def insert(self, table, fks, cloned, required):
        """The copies of ``table``'s selected rows: their required links to cloned rows point
        to the same copy's rows; their optional ones are set by :meth:`link`."""
        columns = [(c, t) for c, t in self.columns(table) if c != "id"]
        joins, values = [], []
        for index, (column, data_type) in enumerate(columns):
            target = fks.get(column)
            if table == "ir_attachment" and column == "res_id":
                values.append("COALESCE(ra.new_id, src.res_id)")
                joins.append(
                    "LEFT JOIN gen_att ga ON ga.old_id = src.id "
                    "LEFT JOIN gen_map ra ON ra.tbl = ga.res_tbl AND ra.old_id = src.res_id AND ra.g = m.g"
                )
            elif target in cloned and column in required:
                alias = f"f{index}"
                joins.append(
                    f"LEFT JOIN gen_map {alias} ON {alias}.tbl = '{target}' "
                    f'AND {alias}.old_id = src."{column}" AND {alias}.g = m.g'
                )
                values.append(f'COALESCE({alias}.new_id, src."{column}")')
            elif target in cloned:
                values.append("NULL")
            else:
                values.append(self.expression(table, column, data_type))
        names = ", ".join(f'"{c}"' for c, _t in columns)
        self.sql(
            f"""INSERT INTO "{table}" (id, {names})
                SELECT m.new_id, {", ".join(values)}
                  FROM gen_map m
                  JOIN "{table}" src ON src.id = m.old_id
                  JOIN gen_copy c ON c.g = m.g
                  {" ".join(joins)}
                 WHERE m.tbl = %s""",
            [table],
        )

    def link(self, table, fks, cloned, required):
        """The optional links of the copies to cloned rows (the cycles: an intervention and its
        signature, an invoice and its payment...)."""
        optional = [c for c, target in fks.items() if target in cloned and c not in required]
        if not optional:
            return
        sets, joins = [], []
        for index, column in enumerate(optional):
            alias = f"f{index}"
            joins.append(
                f"LEFT JOIN gen_map {alias} ON {alias}.tbl = '{fks[column]}' "
                f'AND {alias}.old_id = src."{column}" AND {alias}.g = m.g'
            )
            sets.append(f'"{column}" = x."{column}"')
        picks = ", ".join(f'COALESCE(f{i}.new_id, src."{c}") AS "{c}"' for i, c in enumerate(optional))
        self.sql(
            f"""UPDATE "{table}" t SET {", ".join(sets)}
                  FROM (SELECT m.new_id, {picks}
                          FROM gen_map m JOIN "{table}" src ON src.id = m.old_id {" ".join(joins)}
                         WHERE m.tbl = %s) x
                 WHERE t.id = x.new_id""",
            [table],
        )

    def insert_relation(self, table, fks):
        """A many2many table: one row per copy, both ends remapped (the technician per copy)."""
        columns = [c for c, _t in self.columns(table)]
        values, joins, where = [], [], []
        for index, column in enumerate(columns):
            target = fks.get(column)
            if table == "field_intervention_res_users_rel" and column == "user_id":
                values.append("c.tech")
                continue
            alias = f"f{index}"
            if self.rows.get(target):
                same_copy = f" AND {alias}.g = {where[0]}.g" if where else ""  # never a cross product of copies
                joins.append(
                    f"JOIN gen_map {alias} ON {alias}.tbl = '{target}' AND {alias}.old_id = src.\"{column}\"{same_copy}"
                )
                where.append(alias)
                values.append(f"{alias}.new_id")
            else:
                values.append(f'src."{column}"')
        if not where:
            return
        self.sql(
            f"""INSERT INTO "{table}" ({", ".join(f'"{c}"' for c in columns)})
                SELECT DISTINCT {", ".join(values)}
                  FROM "{table}" src {" ".join(joins)}
                  JOIN gen_copy c ON c.g = {where[0]}.g"""
        )

    def renumber(self):
        """The cloned entries get their numbers: per journal and year (and month for cash basis
        entries), after the numbers already there, in the order of their dates."""
        self.sql(
            """WITH new AS (
                   SELECT m.id, m.journal_id, m.date,
                          regexp_replace(m.sequence_prefix, '20[0-9][0-9]', to_char(m.date, 'YYYY')) AS prefix0,
                          m.sequence_prefix ~ '20[0-9][0-9]/[0-9][0-9]/$' AS monthly,
                          length(split_part(src.name, '/', -1)) AS width
                     FROM account_move m
                     JOIN gen_map g ON g.tbl = 'account_move' AND g.new_id = m.id
                     JOIN account_move src ON src.id = g.old_id
                    WHERE m.name != '/'
               ), prefixed AS (
                   SELECT id, journal_id, date, width,
                          CASE WHEN monthly THEN regexp_replace(prefix0, '/[0-9][0-9]/$', to_char(date, '/MM/'))
                               ELSE prefix0 END AS prefix
                     FROM new
               ), existing AS (
                   -- the last number of each sequence before the copies (one pass, not one per copy)
                   SELECT journal_id, sequence_prefix AS prefix, max(sequence_number) AS top
                     FROM account_move
                    WHERE name NOT LIKE 'GEN/%%' AND sequence_prefix IS NOT NULL
                 GROUP BY 1, 2
               ), numbered AS (
                   SELECT p.id, p.prefix, p.width,
                          COALESCE(e.top, 0)
                          + row_number() OVER (PARTITION BY p.journal_id, p.prefix ORDER BY p.date, p.id) AS number
                     FROM prefixed p
                     LEFT JOIN existing e ON e.journal_id = p.journal_id AND e.prefix = p.prefix
               )
               UPDATE account_move m
                  SET name = n.prefix || lpad(n.number::text, n.width, '0'),
                      sequence_prefix = n.prefix, sequence_number = n.number
                 FROM numbered n WHERE n.id = m.id"""
        )
        self.sql(
            """UPDATE account_move m SET payment_reference = m.name
                 FROM gen_map g WHERE g.tbl = 'account_move' AND g.new_id = m.id AND m.move_type = 'out_invoice'"""
        )
        self.sql(
            """UPDATE account_move_line l SET move_name = m.name
                 FROM account_move m, gen_map g
                WHERE g.tbl = 'account_move_line' AND g.new_id = l.id AND m.id = l.move_id"""
        )
        self.sql(
            """UPDATE l10n_fr_pa_status s SET invoice_number = m.name
                 FROM account_move m, gen_map g
                WHERE g.tbl = 'l10n_fr_pa_status' AND g.new_id = s.id AND m.id = s.move_id"""
        )

    def signed_pdfs(self):
        """One small valid PDF per signed copy, in the file store (or the database, as the
        database keeps its attachments), its hashes in the attachment and the evidence."""
        import hashlib

        from odoo.tools import config

        template = numbered_pdf_template()
        self.sql(
            """SELECT a.id, fi.name, s.id
                 FROM ir_attachment a
                 JOIN gen_map g ON g.tbl = 'ir_attachment' AND g.new_id = a.id
                 JOIN field_intervention_signature s ON s.pdf_attachment_id = a.id
                 JOIN field_intervention fi ON fi.id = s.intervention_id"""
        )
        rows = self.cr.fetchall()
        location = self.env["ir.attachment"]._storage()
        filestore = Path(config.filestore(self.cr.dbname))
        buffer = io.StringIO()
        for attachment_id, name, signature_id in rows:
            data = template.replace(NUMBERED.encode(), name.encode().ljust(len(NUMBERED))[: len(NUMBERED)])
            sha1 = hashlib.sha1(data).hexdigest()  # Odoo's file store names
            if location == "file":
                path = filestore / sha1[:2] / sha1
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                stored = f"{sha1[:2]}/{sha1}"
                raw = "\\N"
            else:
                stored = "\\N"
                raw = "\\\\x" + data.hex()
            buffer.write(f"{attachment_id}\t{signature_id}\t{sha1}\t{hashlib.sha256(data).hexdigest()}\t"
                         f"{len(data)}\t{stored}\t{raw}\n")  # fmt: skip
        buffer.seek(0)
        self.sql(
            "CREATE TEMP TABLE gen_pdf (att int, sig int, sha1 text, sha256 text, size int, fname text, raw bytea)"
        )
        self.cr._obj.copy_expert("COPY gen_pdf FROM STDIN", buffer)
        self.sql(
            """UPDATE ir_attachment a SET checksum = p.sha1, file_size = p.size, store_fname = p.fname, db_datas = p.raw
                 FROM gen_pdf p WHERE p.att = a.id"""
        )
        self.sql("UPDATE field_intervention_signature s SET pdf_hash = p.sha256 FROM gen_pdf p WHERE p.sig = s.id")
        print(f"signed PDFs: {len(rows)} written ({location})", flush=True)

    def core_twins(self, rng, args):
        """Core's twin data, as large: a confirmed sale order per intervention-to-be (the same
        customers, the largest with as many orders as its interventions), cloned from one order
        made through the ORM; missions (project tasks) are already one per site."""
        env = self.env
        customer = self.world["customers"][0][0]
        order = env["sale.order"].create(
            {
                "partner_id": customer.id,
                "order_line": [
                    (0, 0, {"product_id": self.world["labour"].id, "product_uom_qty": 2.0}),
                    (0, 0, {"product_id": self.world["parts"][0].id, "product_uom_qty": 1.0}),
                ],
            }
        )
        order.action_confirm()
        env.flush_all()
        self.sql(
            """CREATE TEMP TABLE gen_so AS
               SELECT g, partner, day, (day - %s::date) * interval '1 day' AS shift FROM gen_copy""",
            [order.date_order.date()],
        )
        columns = [(c, t) for c, t in self.columns("sale_order") if c != "id"]
        over = {
            "partner_id": "c.partner", "partner_invoice_id": "c.partner", "partner_shipping_id": "c.partner",
            "name": "'SG' || lpad(c.g::text, 7, '0')", "access_token": "md5(random()::text || c.g)",
        }  # fmt: skip
        values = [
            over.get(c) or (f'(src."{c}" + c.shift)' if t.startswith("timestamp") or t == "date" else f'src."{c}"')
            for c, t in columns
        ]
        self.sql(
            """CREATE TEMP TABLE gen_so_map AS
                SELECT c.g, nextval(pg_get_serial_sequence('sale_order', 'id')) AS new_id FROM gen_so c"""
        )
        self.sql(
            f"""INSERT INTO sale_order (id, {", ".join(f'"{c}"' for c, _t in columns)})
                SELECT m.new_id, {", ".join(values)}
                  FROM gen_so_map m JOIN gen_so c ON c.g = m.g JOIN sale_order src ON src.id = %s""",
            [order.id],
        )
        orders = self.cr.rowcount
        columns = [(c, t) for c, t in self.columns("sale_order_line") if c not in ("id", "order_id")]
        values = [
            "c.partner" if c == "order_partner_id" else
            f'(src."{c}" + c.shift)' if t.startswith("timestamp") or t == "date" else f'src."{c}"'
            for c, t in columns
        ]  # fmt: skip
        self.sql(
            f"""INSERT INTO sale_order_line (order_id, {", ".join(f'"{c}"' for c, _t in columns)})
                SELECT m.new_id, {", ".join(values)}
                  FROM gen_so_map m JOIN gen_so c ON c.g = m.g JOIN sale_order_line src ON src.order_id = %s""",
            [order.id],
        )
        # the customer follows its order, as action_confirm subscribes it: sale's portal list
        # (/my/orders) shows the orders its company follows
        self.sql(
            """INSERT INTO mail_followers (res_model, res_id, partner_id)
               SELECT 'sale.order', m.new_id, c.partner FROM gen_so_map m JOIN gen_so c ON c.g = m.g
               ON CONFLICT DO NOTHING"""
        )
        print(f"core twins: {orders} confirmed sale orders", flush=True)


COUNTED_TABLES = (
    "field_intervention", "account_analytic_line", "account_move", "account_move_line", "ir_attachment",
    "l10n_fr_pa_status", "sale_order", "project_task", "res_partner", "res_users",
)  # fmt: skip
DISTRIBUTIONS = (
    ("interventions by state", "SELECT state, count(*) FROM field_intervention GROUP BY 1 ORDER BY 2 DESC"),
    (
        "interventions by year",
        "SELECT extract(year FROM intervention_date)::int, count(*) FROM field_intervention GROUP BY 1 ORDER BY 1",
    ),
    (
        "largest customers (interventions)",
        (
            "SELECT p.name, count(*) FROM field_intervention fi JOIN res_partner p ON p.id = fi.commercial_partner_id "
            "GROUP BY 1 ORDER BY 2 DESC LIMIT 5"
        ),
    ),
    (
        "busiest technicians (interventions)",
        (
            "SELECT u.login, count(*) FROM field_intervention_res_users_rel r JOIN res_users u ON u.id = r.user_id "
            "GROUP BY 1 ORDER BY 2 DESC LIMIT 3"
        ),
    ),
    (
        "customers by number of sites",
        (
            "SELECT n, count(*) FROM (SELECT parent_id, count(*) n FROM res_partner WHERE parent_id IS NOT NULL "
            "AND type = 'other' GROUP BY 1) s GROUP BY 1 ORDER BY 1 DESC LIMIT 6"
        ),
    ),
    (
        "invoices by platform status",
        "SELECT l10n_fr_pa_status, count(*) FROM account_move WHERE move_type = 'out_invoice' GROUP BY 1 ORDER BY 2",
    ),
    (
        "invoices by payment state",
        "SELECT payment_state, count(*) FROM account_move WHERE move_type = 'out_invoice' GROUP BY 1 ORDER BY 2 DESC",
    ),
    (
        "customer with the most sale orders",
        (
            "SELECT p.name, count(*) FROM sale_order s JOIN res_partner p ON p.id = s.partner_id "
            "GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
        ),
    ),
    (
        "rows",
        " UNION ALL ".join(f"SELECT '{table}', count(*) FROM {table}" for table in COUNTED_TABLES),
    ),
)


def report(env, rows, started):
    """The generator's time, the database's size, the distributions."""
    cr = env.cr
    cr.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
    size = cr.fetchone()[0]
    from odoo.tools import config

    filestore = Path(config.filestore(cr.dbname))
    files = sum(f.stat().st_size for f in filestore.rglob("*") if f.is_file()) if filestore.exists() else 0
    print(f"history (large): {len(rows)} interventions cloned in {time.time() - started:.0f} s; "
          f"database {size}, file store {files / 1e6:.0f} MB")  # fmt: skip
    for title, query in DISTRIBUTIONS:
        cr.execute(query)
        print(f"  {title}: " + "; ".join(" ".join(str(v) for v in row) for row in cr.fetchall()))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--profile", choices=("demo", "large"), default="demo")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--months-paper", type=int, default=6, help="demo: months on paper (invoice ~30 days later)")
    parser.add_argument("--months-suite", type=int, default=6, help="demo: months with the suite before this one")
    parser.add_argument("--technicians", type=int, default=4, help="demo: technicians added to the demo's two")
    parser.add_argument("--customers", type=int, default=7, help="demo: customers added to the demo's three")
    parser.add_argument("--per-day", type=lambda s: [int(x) for x in s.split(",")], default=[0, 1, 1, 1, 2],
                        help="demo: interventions per working day, drawn from this list")  # fmt: skip
    parser.add_argument("--scale", type=float, default=1.0, help="large: fraction of the full size")
    parser.add_argument("--odoo-path", default=os.environ.get("ODOO_DIR", "/opt/odoo/18.0"))
    parser.add_argument("--addons-path", default=None)
    parser.add_argument("--db_host", default=os.environ.get("FI_DB_HOST", "127.0.0.1"))
    parser.add_argument("--db_port", default=os.environ.get("FI_DB_PORT", "5432"))
    parser.add_argument("--db_user", default=os.environ.get("FI_DB_USER", "odoo"))
    parser.add_argument("--data-dir", default=None, help="Odoo's data dir (filestore), if not the default")
    args = parser.parse_args(argv)

    try:
        import odoo
    except ImportError:
        sys.path.insert(0, args.odoo_path)
        import odoo
    from odoo import SUPERUSER_ID, api

    options = [
        f"--addons-path={args.addons_path or f'{args.odoo_path}/addons,{ROOT}'}",
        f"--db_host={args.db_host}",
        f"--db_port={args.db_port}",
        f"--db_user={args.db_user}",
        "--log-level=warn",
    ]
    if args.data_dir:
        options.append(f"--data-dir={args.data_dir}")
    odoo.tools.config.parse_config(options)
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"lang": "fr_FR", "tz": "Europe/Paris"})
        started = time.time()
        try:
            (demo_profile if args.profile == "demo" else large_profile)(env, args)
        except BaseException as error:  # Ctrl-C included: say what is left of the run
            print(
                f"history ({args.profile}) stopped after {time.time() - started:.0f} s ({type(error).__name__}): "
                f"nothing was written in {args.database} (one transaction), run it again",
                file=sys.stderr,
                flush=True,
            )
            raise
        # the manager's dashboards read materialized views: show the history at once, not at the
        # next run of their scheduled action
        for model in ("field.intervention.invoice.kpi", "field.intervention.cash.kpi"):
            if model in env:
                env[model]._fi_refresh()
        cr.commit()


if __name__ == "__main__":
    main()
