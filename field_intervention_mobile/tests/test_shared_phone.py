import json
import re

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import DAY_URL, SYNC_URL, FiMobileCase

APP = "/field_intervention/app"
OWNER_ERROR = "odoo.addons.field_intervention_mobile.models.field_intervention_mobile_op.MobileOwnerError"


@tagged("-at_install", "post_install")
class TestSharedPhone(FiMobileCase):
    """A phone shared by two technicians: what the phone stored for one is never applied under the
    other's session, the app keeps each user's data in a store of their own, and a logout goes
    through the app (the browser tests of tests/e2e/test_8_offline.py drive the app itself)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # both may work on it: the session's rights alone would let the other one act on it
        cls.shared = cls._intervention(technicians=cls.tech | cls.tech_other)

    def _raw(self, url, params):
        """A JSON-RPC call whose error is read whole (name and translated message)."""
        response = self.url_open(
            url,
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "params": params, "id": 1}),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        return response.json()

    def _french(self, user):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["field_intervention_mobile"], ["fr_FR"], overwrite=True)
        user.lang = "fr_FR"

    def test_queue_of_another_user_refused_whole(self):
        """The measured hole: tech1's queue sent under tech2's session was applied with tech2's
        rights. Now it is refused, in tech2's language, nothing applied, nothing stored; it is
        applied when its owner sends it."""
        self._french(self.tech_other)
        ops = [
            {"owner": self.tech.id, **self.op(self.shared, "start", self.ago(minutes=30))},
            {"owner": self.tech.id, **self.op(self.shared, "set_text", self.ago(minutes=10), findings="Fuite")},
        ]
        self._login(self.tech_other)
        with mute_logger("odoo.http"):
            answer = self._raw(SYNC_URL, {"device_id": "shared-phone", "owner": self.tech.id, "ops": ops})
        error = answer["error"]["data"]
        self.assertEqual(error["name"], OWNER_ERROR)
        self.assertIn("un autre utilisateur", error["message"])
        self.assertEqual(self.shared.state, "draft")
        self.assertFalse(self.shared.findings)
        self.assertFalse(self.ops_of(self.shared))

        answer = self.sync(ops, user=self.tech, device_id="shared-phone")  # its owner's next login
        self.assertEqual(self.statuses(answer), ["ok", "ok"])
        self.assertEqual((self.shared.state, self.shared.findings), ("in_progress", "Fuite"))
        self.assertEqual(self.ops_of(self.shared).user_id, self.tech)

    def test_each_op_carries_its_owner(self):
        """A queue claimed by the session's user but holding another user's op, or ops (or a queue)
        without owner (an app that does not keep users apart), is refused whole."""
        own = self.op(self.shared, "start", self.ago(minutes=30))
        foreign = {"owner": self.tech.id, **self.op(self.shared, "set_text", self.ago(minutes=10), findings="X")}
        cases = {
            "foreign op": ([own, foreign], self.tech_other.id),
            "op without owner": ([own], self.tech_other.id),
            "queue without owner": ([{"owner": self.tech_other.id, **own}], None),
            "owner not a user id": ([{"owner": str(self.tech_other.id), **own}], str(self.tech_other.id)),
        }
        self._login(self.tech_other)
        for case, (ops, owner) in cases.items():
            with self.subTest(case), mute_logger("odoo.http"):
                params = {"device_id": "shared-phone", "ops": ops}
                if owner is not None:
                    params["owner"] = owner
                answer = self._raw(SYNC_URL, params)
                self.assertEqual(answer.get("error", {}).get("data", {}).get("name"), OWNER_ERROR, answer)
        self.assertEqual(self.shared.state, "draft")
        self.assertFalse(self.ops_of(self.shared))

    def test_day_for_another_owner_refused(self):
        """A page of tech1's app (its store) never receives tech2's day under tech2's session."""
        self._login(self.tech_other)
        with mute_logger("odoo.http"):
            answer = self._raw(DAY_URL, {"days": 3, "owner": self.tech.id})
        self.assertEqual(answer["error"]["data"]["name"], OWNER_ERROR)
        answer = self._raw(DAY_URL, {"days": 3, "owner": self.tech_other.id})
        self.assertEqual(answer["result"]["user"]["id"], self.tech_other.id)

    def _config(self, user):
        self.authenticate(user.login, user.login)
        response = self.url_open(APP)
        self.assertEqual(response.status_code, 200)
        island = re.search(r'<script type="application/json" id="fi-config">(.*?)</script>', response.text)
        return response, json.loads(island.group(1))

    def test_shell_names_the_users_store_and_lock(self):
        """Each user's store has its own name; the lock's key is the user's, the same at each login,
        and the page that holds it is never kept by a shared cache."""
        response, mine = self._config(self.tech)
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        self.assertIn("fi_mobile_app=1", response.headers.get("Set-Cookie", ""))
        __, again = self._config(self.tech)
        __, theirs = self._config(self.tech_other)
        self.assertEqual(mine["uid"], self.tech.id)
        self.assertEqual(mine["store"], f"fi-mobile-{self.env.cr.dbname}-{self.tech.id}")
        self.assertNotEqual(mine["store"], theirs["store"])
        self.assertEqual(mine["seal_key"], again["seal_key"])
        self.assertNotEqual(mine["seal_key"], theirs["seal_key"])
        self.assertRegex(mine["seal_key"], r"^[0-9a-f]{64}$")

    def test_logout_goes_through_the_app(self):
        """On a browser that opened the app, a technician's logout shows the app's logout screen
        first (what stays on the phone); the app comes back with ``fi_done`` for the real one."""
        self._config(self.tech)  # the app's page: its cookie
        response = self.url_open("/web/session/logout", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith(f"{APP}#/logout"), response.headers["Location"])
        self.assertEqual(self.url_open(f"{APP}/manifest.webmanifest").status_code, 200)  # still logged in

        response = self.url_open("/web/session/logout?fi_done=1&redirect=/web/login", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn("/web/login", response.headers["Location"])
        self.assertIn("/web/login", self.url_open(f"{APP}/manifest.webmanifest").url)  # logged out

    def test_logout_elsewhere_unchanged(self):
        """Without the app on the browser, or for a user who is not a technician, Odoo's logout."""
        self.authenticate(self.tech.login, self.tech.login)
        response = self.url_open("/web/session/logout", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertNotIn(APP, response.headers["Location"])
        self.authenticate(self.billing.login, self.billing.login)
        self.opener.cookies.set("fi_mobile_app", "1")
        response = self.url_open("/web/session/logout", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertNotIn(APP, response.headers["Location"])
