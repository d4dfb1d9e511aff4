import io
import json
import re

from PIL import Image

from odoo.tests import tagged

from .common import FiMobileCase

APP = "/field_intervention/app"


@tagged("post_install", "-at_install")
class TestAppShell(FiMobileCase):
    """The phone app's shell, manifest and service worker (the app itself is tested in a real
    browser by tests/e2e/test_8_offline.py)."""

    def _strings(self, html):
        island = re.search(r'<script type="application/json" id="fi-strings">(.*?)</script>', html, re.DOTALL)
        self.assertTrue(island, "no labels in the shell")
        return json.loads(island.group(1))

    def test_shell_speaks_the_technicians_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["field_intervention_mobile"], ["fr_FR"], overwrite=True)
        self.tech.lang = "fr_FR"
        self.authenticate(self.tech.login, self.tech.login)
        response = self.url_open(APP)
        self.assertEqual(response.status_code, 200)
        self.assertIn('lang="fr-FR"', response.text)
        self.assertIn("<title>Mes interventions</title>", response.text)
        strings = self._strings(response.text)
        self.assertEqual((strings["start"], strings["pause"], strings["stop"]), ("Démarrer", "Pause", "Arrêter"))
        self.assertEqual(strings["pending_many"], "%(count)s modifications non envoyées")

    def test_shell_refused_to_non_technicians(self):
        self.authenticate(self.billing.login, self.billing.login)
        response = self.url_open(APP)
        self.assertEqual(response.status_code, 403)
        self.assertIn("Technicians only", response.text)
        self.assertNotIn("fi-strings", response.text)

    def test_manifest_and_icons(self):
        self.authenticate(self.tech.login, self.tech.login)
        manifest = self.url_open(f"{APP}/manifest.webmanifest").json()
        self.assertEqual((manifest["start_url"], manifest["display"]), (APP, "standalone"))
        self.assertTrue(manifest["start_url"].startswith(manifest["scope"]))
        self.assertTrue(manifest["name"] and manifest["short_name"])
        for icon in manifest["icons"]:
            response = self.url_open(icon["src"])
            self.assertEqual(response.status_code, 200, icon["src"])
            with Image.open(io.BytesIO(response.content)) as image:
                self.assertEqual((image.format, f"{image.width}x{image.height}"), ("PNG", icon["sizes"]))
        self.assertEqual(sorted(icon["sizes"] for icon in manifest["icons"]), ["192x192", "512x512"])

    def test_service_worker_caches_the_app_never_the_api(self):
        self.authenticate(self.tech.login, self.tech.login)
        response = self.url_open(f"{APP}/sw.js")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.headers["Content-Type"].startswith("application/javascript"))
        self.assertEqual(response.headers["Service-Worker-Allowed"], APP)
        assets = json.loads(re.search(r"^const ASSETS = (.*);$", response.text, re.MULTILINE).group(1))
        self.assertIn("/field_intervention_mobile/static/src/app/app.js", assets)
        for asset in assets:
            self.assertEqual(self.url_open(asset).status_code, 200, asset)
        self.assertFalse([asset for asset in assets if "/api/" in asset])
        self.assertIn("/api/`)", response.text)  # the fetch handler lets the API go to the network
