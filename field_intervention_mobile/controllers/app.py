"""The technicians' phone app: its shell page, web manifest and service worker.

The shell is a small HTML page whose labels are rendered server-side in the user's language (a
JSON island read by the JavaScript), so the app keeps speaking French offline. The data lives on
the phone (IndexedDB) and goes through the JSON API of ``api.py``; nothing here reads records."""

import hashlib
import json
import pathlib

from markupsafe import Markup

from odoo import http
from odoo.http import request

APP_PATH = "/field_intervention/app"
STATIC = "/field_intervention_mobile/static/src/app"
STATIC_DIR = pathlib.Path(__file__).resolve().parent.parent / "static" / "src" / "app"
# what the service worker caches at install: the app runs offline from these alone
ASSETS = ("app.js", "db.js", "content.js", "sync.js", "ui.js", "app.css", "icon-192.png", "icon-512.png")
TECHNICIAN_GROUP = "field_intervention.group_field_intervention_technician"


def assets_version():
    """A digest of the app's files: a new version makes the phone install the new service worker."""
    digest = hashlib.sha256()
    for name in ASSETS + ("sw.js",):
        digest.update((STATIC_DIR / name).read_bytes())
    return digest.hexdigest()[:12]


class FieldInterventionMobileApp(http.Controller):
    def _fi_app_strings(self):
        """Every label of the app, translated here so that the addon's fr.po holds them."""
        _ = request.env._
        return {
            "app_title": _("My interventions"),
            "loading": _("Loading…"),
            "online": _("Online"),
            "offline": _("Offline: your work is kept on this phone"),
            "pending_one": _("1 change not sent"),
            "pending_many": _("%(count)s changes not sent"),
            "all_sent": _("Everything is sent"),
            "sync": _("Send now"),
            "syncing": _("Sending…"),
            "refresh": _("Download my days"),
            "downloading": _("Downloading…"),
            "downloaded_at": _("Downloaded at %(time)s"),
            "never_downloaded": _("Nothing downloaded yet: connect to the network once."),
            "no_intervention": _("No intervention planned for these days."),
            "today": _("Today"),
            "back": _("Back"),
            "mission": _("Mission"),
            "customer": _("Customer"),
            "call": _("Call"),
            "site": _("Site"),
            "map": _("Open the map"),
            "timer": _("Time"),
            "start": _("Start"),
            "pause": _("Pause"),
            "resume": _("Resume"),
            "stop": _("Stop"),
            "work_description": _("Work done"),
            "findings": _("Findings"),
            "checklist": _("Checklist"),
            "note": _("Note"),
            "parts": _("Parts used"),
            "search_product": _("Search a product by name or code"),
            "quantity": _("Quantity"),
            "add": _("Add"),
            "remove": _("Remove"),
            "photos": _("Photos"),
            "take_photo": _("Take a photo"),
            "done": _("Mark as done"),
            "done_hint": _("Stop the timer before marking the intervention as done."),
            "to_sign": _("Have the customer sign"),
            "sign_title": _("Customer's signature"),
            "sign_summary": _("What the customer signs"),
            "content_hash": _("Fingerprint (SHA-256) of this content"),
            "signer_name": _("Signer's name"),
            "signer_email": _("Signer's email (for the signed report)"),
            "geo_consent": _("The customer agrees to record where the report is signed"),
            "sign_here": _("Sign here with your finger"),
            "clear": _("Clear"),
            "confirm_sign": _("Sign the report"),
            "sign_missing": _("The signer's name and the signature are required."),
            "signed_pending": _("Signed on this phone, to be sent"),
            "times": _("Time segments"),
            "state_draft": _("To do"),
            "state_in_progress": _("In progress"),
            "state_done": _("Done, to sign"),
            "state_signed": _("Signed"),
            "state_cancel": _("Cancelled"),
            "state_disputed": _("Disputed"),
            "running": _("Running"),
            "paused": _("Paused"),
            "queue": _("Changes"),
            "op_pending": _("Not sent"),
            "op_ok": _("Sent"),
            "op_duplicate": _("Sent"),
            "op_conflict": _("Refused: changed at the office"),
            "op_error": _("Refused"),
            "problems": _("%(count)s changes refused by the office: open them to read why"),
            "dismiss": _("I have read it"),
            "op_start": _("Start"),
            "op_pause": _("Pause"),
            "op_resume": _("Resume"),
            "op_stop": _("Stop"),
            "op_set_text": _("Text"),
            "op_set_checklist": _("Checklist"),
            "op_add_part": _("Part added"),
            "op_remove_part": _("Part removed"),
            "op_add_photo": _("Photo"),
            "op_done": _("Done"),
            "op_sign": _("Signature"),
            "network_error": _("No network: your changes stay on this phone and will be sent later."),
            "session_expired": _("Your session has expired: log in again to send your changes."),
            "login": _("Log in"),
            "server_error": _("The server refused the request: %(message)s"),
            "photo_error": _("This photo could not be read."),
            "summary_number": _("Report"),
            "summary_photos": _("%(count)s photo(s)"),
            "none": _("None"),
            "yes": _("Yes"),
        }

    def _fi_is_technician(self):
        return request.env.user.has_group(TECHNICIAN_GROUP)

    @http.route(APP_PATH, type="http", auth="user", methods=["GET"], sitemap=False)
    def fi_app_shell(self):
        """The app's page: technicians only; anybody else reads why, in their language."""
        if not self._fi_is_technician():
            return request.render(
                "field_intervention_mobile.app_not_technician",
                {
                    "html_lang": (request.env.lang or "en_US").replace("_", "-"),
                    # a page's title is no translatable term of a template: translated here
                    "title": request.env._("Technicians only"),
                },
                status=403,
            )
        labels = self._fi_app_strings()
        strings = json.dumps(labels, ensure_ascii=False).replace("<", "\\u003c")
        values = {
            "html_lang": (request.env.lang or "en_US").replace("_", "-"),
            "title": labels["app_title"],
            "static": STATIC,
            "version": assets_version(),
            "strings_json": Markup(strings),
            "config_json": Markup(json.dumps({"app": APP_PATH, "version": assets_version()})),
        }
        response = request.render("field_intervention_mobile.app_shell", values)
        response.headers["Cache-Control"] = "no-cache"
        return response

    @http.route(f"{APP_PATH}/manifest.webmanifest", type="http", auth="user", methods=["GET"], sitemap=False)
    def fi_app_manifest(self):
        manifest = {
            "name": request.env._("Field interventions"),
            "short_name": request.env._("Interventions"),
            "lang": (request.env.lang or "en_US").replace("_", "-"),
            "start_url": APP_PATH,
            # a prefix, not a folder: it holds the start URL itself (a scope ending in "/" would not)
            "scope": APP_PATH,
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#1f5f8b",
            "icons": [
                {"src": f"{STATIC}/icon-192.png", "sizes": "192x192", "type": "image/png"},
                {"src": f"{STATIC}/icon-512.png", "sizes": "512x512", "type": "image/png"},
            ],
        }
        return request.make_response(
            json.dumps(manifest, ensure_ascii=False),
            headers=[("Content-Type", "application/manifest+json; charset=utf-8"), ("Cache-Control", "no-cache")],
        )

    @http.route(f"{APP_PATH}/sw.js", type="http", auth="user", methods=["GET"], sitemap=False)
    def fi_app_service_worker(self):
        """The service worker, with the list of files to cache and their version."""
        assets = json.dumps([f"{STATIC}/{name}" for name in ASSETS])
        head = (
            f"const VERSION = {json.dumps(assets_version())};\n"
            f"const APP = {json.dumps(APP_PATH)};\n"
            f"const ASSETS = {assets};\n"
        )
        body = (STATIC_DIR / "sw.js").read_text(encoding="utf-8")
        return request.make_response(
            head + body,
            headers=[
                ("Content-Type", "application/javascript; charset=utf-8"),
                ("Service-Worker-Allowed", APP_PATH),
                ("Cache-Control", "no-cache"),
            ],
        )
