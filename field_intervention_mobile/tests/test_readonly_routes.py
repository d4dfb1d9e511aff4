from odoo.tests import tagged

from odoo.addons.field_intervention_sign.tests.readonly_routes import ReadonlyRoutesMixin

from ..controllers.app import APP_PATH
from .common import DAY_URL, SYNC_URL, FiMobileCase


@tagged("-at_install", "post_install")
class TestReadonlyRoutes(ReadonlyRoutesMixin, FiMobileCase):
    """The phone's day download and the app's files only read: a replica (``db_replica_host``)
    may serve them. The sync writes and stays on the primary."""

    def test_declared_routes(self):
        for path, method in (
            (DAY_URL, "POST"),
            (APP_PATH, "GET"),
            (f"{APP_PATH}/manifest.webmanifest", "GET"),
            (f"{APP_PATH}/sw.js", "GET"),
        ):
            self.assertIs(self.fi_route_readonly(path, method), True, path)
        self.assertIs(self.fi_route_readonly(SYNC_URL, "POST"), False)

    def test_day_and_app_served_readonly(self):
        intervention = self._intervention(work_description="Diagnostic")
        self._login(self.tech)
        with self.fi_cursor_modes() as modes:
            day = self.make_jsonrpc_request(DAY_URL, {"days": 3, "owner": self.tech.id})
            for path in (APP_PATH, f"{APP_PATH}/manifest.webmanifest", f"{APP_PATH}/sw.js"):
                self.assertEqual(self.url_open(path).status_code, 200, path)
        self.assertEqual([entry["id"] for entry in day["interventions"]], intervention.ids)
        self.assert_served_readonly(modes, [DAY_URL, APP_PATH, f"{APP_PATH}/manifest.webmanifest", f"{APP_PATH}/sw.js"])

    def test_sync_stays_on_the_primary(self):
        intervention = self._intervention()
        with self.fi_cursor_modes() as modes:
            answer = self.sync([self.op(intervention, "start", self.ago(minutes=30))])
        self.assertEqual(self.statuses(answer), ["ok"])
        self.assertIn((SYNC_URL, False), modes)
        self.assertEqual(intervention.state, "in_progress")
