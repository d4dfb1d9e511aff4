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
from odoo.tools.misc import hmac

from odoo.addons.web.controllers.session import Session

APP_PATH = "/field_intervention/app"
STATIC = "/field_intervention_mobile/static/src/app"
STATIC_DIR = pathlib.Path(__file__).resolve().parent.parent / "static" / "src" / "app"
# what the service worker caches at install: the app runs offline from these alone
ASSETS = ("app.js", "db.js", "content.js", "sync.js", "retry.js", "ui.js", "app.css", "icon-192.png", "icon-512.png")
TECHNICIAN_GROUP = "field_intervention.group_field_intervention_technician"
# set by the app's page: this browser holds the app's data, its logout goes through the app
APP_COOKIE = "fi_mobile_app"
APP_COOKIE_AGE = 400 * 24 * 3600


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
            "summary_date": _("Service date"),
            "summary_worked": _("Worked: %(time)s per technician"),
            "summary_travel": _("%(time)s, %(km)s km"),
            "technicians": _("Technicians"),
            "travel": _("Travel"),
            "none": _("None"),
            "yes": _("Yes"),
            "sending": _("Sending your changes…"),
            "retry_at": _("Next try at %(time)s"),
            "logout": _("Log out"),
            "logout_title": _("Log out of this phone"),
            "logout_all_sent": _(
                "Everything is sent. Logging out deletes your interventions and customers' data from this phone."
            ),
            "logout_pending": _(
                "%(count)s change(s) not sent yet. Logging out deletes your interventions and customers' data"
                " from this phone, but not these changes: they stay locked on this phone, nobody else can see"
                " them, and they are sent at your next login with the network."
            ),
            "logout_offline": _("No network: you can log out only when the server answers."),
            "logout_confirm": _("Log out"),
            "logging_out": _("Logging out…"),
            "wrong_user": _("This page belongs to another user than the one now logged in: log in again to go on."),
        }

    def _fi_is_technician(self):
        return request.env.user.has_group(TECHNICIAN_GROUP)

    @http.route(APP_PATH, type="http", auth="user", methods=["GET"], sitemap=False, readonly=True)
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
            "config_json": Markup(json.dumps(self._fi_app_config())),
        }
        response = request.render("field_intervention_mobile.app_shell", values)
        # the page names its user and holds the key of their locked changes: never in a shared cache
        response.headers["Cache-Control"] = "no-store"
        response.set_cookie(APP_COOKIE, "1", max_age=APP_COOKIE_AGE, httponly=True, samesite="Lax")
        return response

    def _fi_app_config(self):
        """What the app needs to keep each user's data apart on a shared phone: its own store
        (per database and user) and the key that locks its unsent changes when the user logs out.
        The key is derived from the database secret, so it comes back at the user's next login
        and the phone never keeps it after a logout (the app deletes its cached page)."""
        user = request.env.user
        env_sudo = request.env(su=True)  # the database secret only: the key of this user's own lock
        return {
            "app": APP_PATH,
            "version": assets_version(),
            "uid": user.id,
            "store": f"fi-mobile-{request.session.db}-{user.id}",
            "seal_key": hmac(env_sudo, "field_intervention_mobile.seal", user.id),
        }

    @http.route(
        f"{APP_PATH}/manifest.webmanifest", type="http", auth="user", methods=["GET"], sitemap=False, readonly=True
    )
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

    @http.route(f"{APP_PATH}/sw.js", type="http", auth="user", methods=["GET"], sitemap=False, readonly=True)
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


class FieldInterventionMobileSession(Session):
    @http.route("/web/session/logout", type="http", auth="none", readonly=True)
    def logout(self, redirect="/odoo", **kw):
        """On a browser that holds the app's data, a technician's logout goes through the app
        first: it tells what stays on the phone, deletes what is synced, locks what is not, then
        comes back here (``fi_done``) for Odoo's own logout."""
        uid = request.session.uid
        through_app = uid and request.httprequest.cookies.get(APP_COOKIE) and not kw.get("fi_done")
        if through_app and request.env(user=uid).user.has_group(TECHNICIAN_GROUP):
            return request.redirect(f"{APP_PATH}#/logout", 303)
        return super().logout(redirect=redirect)
