"""The company of the story, built the way its own systems would: an administrator creates an
API key in the web client (identity check included), then the company's ERP creates users,
customers, products, the field-service project and the missions over XML-RPC."""

import datetime
import re
import uuid
import zoneinfo

from .clients import WebSession, XmlRpc

PASSWORD = "e2e-Passw0rd!"
TECH_GROUP = "field_intervention.group_field_intervention_technician"
BILLING_GROUP = "account.group_account_invoice"


def utc(delta_hours=0.0):
    moment = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0, tzinfo=None) + datetime.timedelta(
        hours=delta_hours
    )
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def hours_since_paris_midnight():
    """How long today has lasted in Paris: a mission planned earlier today must not fall on
    yesterday when the tests run just after midnight."""
    now = datetime.datetime.now(zoneinfo.ZoneInfo("Europe/Paris"))
    return (now - now.replace(hour=0, minute=0, second=0, microsecond=0)).total_seconds() / 3600


def make_api_key(server, login, password, name):
    """Create a persistent API key in the web client: the wizard asks the password again first.

    Persistent as an ERP's synchronisation key is: the wizard's default (one day) ends at the next
    midnight UTC, and a run that crosses it lost its key half-way (every call then "Access Denied").
    """
    web = WebSession(server.url, server.database)
    web.authenticate(login, password)
    wizard_id = web.call_kw("res.users.apikeys.description", "create", [{"name": name, "duration": "0"}])
    action = web.call_button("res.users.apikeys.description", "make_key", [wizard_id])
    if action.get("res_model") == "res.users.identitycheck":
        check_id = action["res_id"]
        web.call_kw("res.users.identitycheck", "write", [[check_id], {"password": password}])
        action = web.call_button("res.users.identitycheck", "run_check", [check_id])
    assert action["res_model"] == "res.users.apikeys.show", action
    return action["context"]["default_key"]


class World:
    def __init__(self, server, sink, pg):
        self.server, self.sink, self.pg = server, sink, pg
        self.tag = uuid.uuid4().hex[:6]

    @classmethod
    def build(cls, server, sink, pg):
        world = cls(server, sink, pg)
        key = make_api_key(server, "admin", "admin", "ERP synchronisation")
        with pg.cursor() as cr:
            cr.execute("SELECT expiration_date FROM res_users_apikeys WHERE name = 'ERP synchronisation'")
            assert cr.fetchall() == [(None,)], "the e2e run's API key must outlive midnight UTC"
        world.erp = XmlRpc(server.url, server.database, "admin", key)
        world._configure()
        world._create_users()
        world._create_catalog()
        world._create_customers_and_missions()
        return world

    # ------------------------------------------------------------------
    def _configure(self):
        erp = self.erp
        erp("ir.config_parameter", "set_param", "web.base.url", self.server.url)
        erp("ir.config_parameter", "set_param", "web.base.url.freeze", "True")
        erp("ir.config_parameter", "set_param", "report.url", getattr(self.server, "assets_url", self.server.url))
        self.company_id = erp("res.users", "read", [self.erp.uid], ["company_id"])[0]["company_id"][0]
        erp(
            "res.company",
            "write",
            [self.company_id],
            {"email": "office@chauffage.test", "fi_billing_email": "billing@chauffage.test"},
        )
        self.fr = erp.ref("base.fr")
        # the account customers pay to, printed on invoices and required in the e-invoice (BT-84)
        company_partner = erp("res.company", "read", [self.company_id], ["partner_id"])[0]["partner_id"][0]
        if not erp("res.partner.bank", "search", [("partner_id", "=", company_partner)]):
            iban = "FR7630006000011234567890189"
            erp("res.partner.bank", "create", {"partner_id": company_partner, "acc_number": iban})

    def _create_user(self, login, name, groups, share=False):
        vals = {
            "name": name,
            "login": login,
            "password": PASSWORD,
            "email": f"{login}@chauffage.test",
            "tz": "Europe/Paris",
            "groups_id": [(6, 0, [self.erp.ref(group) for group in groups])],
        }
        return self.erp("res.users", "create", vals)

    def _create_users(self):
        erp = self.erp
        self.tech_a_login, self.tech_b_login = f"alice.{self.tag}", f"bruno.{self.tag}"
        self.tech_a = self._create_user(self.tech_a_login, "Alice Martin (tech)", ["base.group_user", TECH_GROUP])
        self.tech_b = self._create_user(self.tech_b_login, "Bruno Petit (tech)", ["base.group_user", TECH_GROUP])
        self.billing_login = f"bea.{self.tag}"
        self.billing = self._create_user(self.billing_login, "Béa Compta", ["base.group_user", BILLING_GROUP])
        erp(
            "hr.employee",
            "create",
            [
                {"name": "Alice Martin (tech)", "user_id": self.tech_a, "company_id": self.company_id},
                {"name": "Bruno Petit (tech)", "user_id": self.tech_b, "company_id": self.company_id},
            ],
        )

    def _create_catalog(self):
        erp = self.erp
        hour = erp.ref("uom.product_uom_hour")
        self.income_account = erp(
            "account.account",
            "create",
            {"name": "Prestations e2e", "code": f"7061{self.tag[:2]}".replace("-", "0"), "account_type": "income"},
        )
        sale_20 = [("type_tax_use", "=", "sale"), ("amount", "=", 20.0), ("company_id", "=", self.company_id)]
        tax = erp("account.tax", "search", sale_20, limit=1)
        # services owe their VAT on receipt of payment (the French chart's "20% S"): their
        # collections are declared to the platform (212 Encaissée, test_7_pa)
        on_payment = [("tax_exigibility", "=", "on_payment"), ("price_include", "=", False)]
        service_tax = erp("account.tax", "search", sale_20 + on_payment, limit=1) or tax
        if not tax:
            tax = [
                erp(
                    "account.tax",
                    "create",
                    {"name": "TVA 20% e2e", "amount": 20.0, "amount_type": "percent", "type_tax_use": "sale"},
                )
            ]
        common = {"property_account_income_id": self.income_account, "taxes_id": [(6, 0, service_tax or tax)]}
        self.labour, self.travel, self.part = erp(
            "product.product",
            "create",
            [
                {**common, "name": "Main d'oeuvre", "type": "service", "uom_id": hour, "uom_po_id": hour,
                 "list_price": 60.0, "invoice_policy": "delivery", "default_code": "MO"},
                {**common, "name": "Déplacement", "type": "service", "uom_id": hour, "uom_po_id": hour,
                 "list_price": 40.0, "invoice_policy": "delivery", "default_code": "DEP"},
                {**common, "taxes_id": [(6, 0, tax)], "name": "Filtre F-200", "type": "consu", "list_price": 12.5,
                 "invoice_policy": "delivery", "default_code": "F200"},
            ],
        )  # fmt: skip

    def customer_vals(self, name, email, siren):
        return {
            "name": name,
            "is_company": True,
            "email": email,
            "street": "3 rue de la République",
            "zip": "69002",
            "city": "Lyon",
            "country_id": self.fr,
            "company_registry": siren,
            "vat": None,
            "invoice_edi_format": "facturx",
        }

    def _create_customers_and_missions(self):
        erp = self.erp
        self.cust_a, self.cust_b, self.cust_c = erp(
            "res.partner",
            "create",
            [
                self.customer_vals("Boulangerie Martin SARL", "contact@boulangerie.test", "552100554"),
                self.customer_vals("Hôtel du Parc SAS", "accueil@hotel.test", "552081317"),
                self.customer_vals("Copropriété Les Tilleuls", "syndic@tilleuls.test", "493000012"),
            ],
        )
        self.project = erp(
            "project.project",
            "create",
            {
                "name": f"Maintenance chaufferies {self.tag}",
                "is_field_service": True,
                "allow_timesheets": True,
                "allow_billable": True,
                "labour_product_id": self.labour,
                "travel_product_id": self.travel,
                "part_product_ids": [(6, 0, [self.part])],
                "intervention_invoice_policy": "per_intervention",
                "checklist_template_ids": [(0, 0, {"name": "Pression contrôlée", "sequence": 1})],
            },
        )
        self.task_a, self.task_b, self.task_c = self.create_missions(
            [(self.cust_a, self.tech_a), (self.cust_b, self.tech_a), (self.cust_c, self.tech_b)]
        )

    # ------------------------------------------------------------------
    # Helpers of the tests
    # ------------------------------------------------------------------
    def create_missions(self, pairs, name="Entretien annuel"):
        return self.erp(
            "project.task",
            "create",
            [
                {
                    "name": f"{name} {index}",
                    "project_id": self.project,
                    "partner_id": customer,
                    "user_ids": [(6, 0, [tech])],
                    "planned_date_start": utc(-min(2.0, hours_since_paris_midnight())),
                    "planned_date_end": utc(2),
                }
                for index, (customer, tech) in enumerate(pairs)
            ],
        )

    def create_done_interventions(self, task_ids, tech, work="Entretien et nettoyage du brûleur.", parts=True):
        """Interventions done in the past, built in two batch calls (fast data for probes/load):
        the time entered by hand on drafts, then the Done button (the only way to done)."""
        erp = self.erp
        vals_list = []
        for index, task in enumerate(task_ids):
            start = -3 - (index % 50) / 100.0
            vals = {
                "task_id": task,
                "technician_ids": [(6, 0, [tech])],
                "time_ids": [(0, 0, {"date_start": utc(start), "date_end": utc(start + 1)})],
                "work_description": work,
            }
            if parts:
                vals["part_ids"] = [(0, 0, {"product_id": self.part, "quantity": 2})]
            vals_list.append(vals)
        ids = erp("field.intervention", "create", vals_list)
        erp("field.intervention", "action_done", ids)
        return ids

    def web(self, login=None, password=PASSWORD):
        web = WebSession(self.server.url, self.server.database)
        if login:
            web.authenticate(login, password)
        return web

    def cron_id(self, xmlid):
        return self.erp.ref(xmlid)

    def run_cron(self, xmlid):
        """Run a scheduled action now, as an administrator does with "Run Manually"."""
        self.erp("ir.cron", "method_direct_trigger", [self.cron_id(xmlid)])

    def run_sign_jobs(self):
        """What the signature's scheduled action, triggered by each customer's answer, does
        right after it: the signed PDFs, then their emails (the e2e servers run no cron thread:
        the tests say when it runs). Until no job is due (it works in batches)."""
        due = [("sign_pending_job", "=", True), ("sign_job_attempts", "=", 0)]
        for _batch in range(50):
            if not self.erp("field.intervention", "search_count", due):
                return
            self.run_cron("field_intervention_sign.ir_cron_fi_sign_retry")
        raise AssertionError("the signature jobs do not end")

    def run_invoicing(self):
        """What the invoicing scheduled action, triggered by each signed PDF, does next (the
        e2e servers run no cron thread: the tests say when it runs)."""
        self.run_cron("field_intervention_invoice.ir_cron_field_intervention_invoice")

    def flush_mail_queue(self):
        self.run_cron("mail.ir_cron_mail_scheduler_action")

    def portal_link(self, message):
        """The portal link of a mail (href with access_token), made relative."""
        from .clients import body_text

        html = body_text(message)
        match = re.search(r'href="(?:https?://[^/"]+)?(/my/interventions/\d+\?[^"]*access_token=[^"&]+[^"]*)"', html)
        assert match, "no portal link with a token in the mail"
        return match.group(1).replace("&amp;", "&")
