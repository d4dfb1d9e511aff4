"""What the read-only routes' tests share: which cursor served each request.

Odoo 18 serves a route declared ``readonly`` in a read-only transaction (on the replica of
``db_replica_host`` when there is one; in tests, the test cursor runs ``SET TRANSACTION READ
ONLY``). A write in it fails, and Odoo hides the failure: it logs a WARNING and serves the
request again with a read/write cursor. The spy below makes that retry a test failure.
"""

import contextlib
from unittest.mock import patch

from odoo import http

__all__ = ["ReadonlyRoutesMixin"]


class ReadonlyRoutesMixin:
    """For an HttpCase: ``with self.fi_cursor_modes() as modes`` records, for each request
    served meanwhile, ``(path, readonly)``: whether the cursor that served it was read-only."""

    @contextlib.contextmanager
    def fi_cursor_modes(self):
        modes = []
        serve = http.Request._serve_ir_http

        def spy(request, rule, args):
            response = serve(request, rule, args)
            modes.append((request.httprequest.path, request.env.cr.readonly))
            return response

        # the read-only attempt's failure is a WARNING of odoo.http: none may be logged
        with patch.object(http.Request, "_serve_ir_http", spy), self.assertNoLogs("odoo.http", "WARNING"):
            yield modes

    def fi_route_readonly(self, path, method="GET"):
        """The ``readonly`` the route serving ``path`` declares (True, False or a callable that
        decides per request)."""
        adapter = self.env["ir.http"].routing_map().bind("localhost")
        rule, _args = adapter.match(path, method=method, return_rule=True)
        return rule.endpoint.routing["readonly"]

    def assert_served_readonly(self, modes, paths):
        """Every request of ``paths`` was served, and by a read-only cursor."""
        served = {}
        for path, readonly in modes:
            served.setdefault(path, []).append(readonly)
        for path in paths:
            self.assertEqual(set(served.get(path, ())), {True}, f"{path} was not served by a read-only cursor")
