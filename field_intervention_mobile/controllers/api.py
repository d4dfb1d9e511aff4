from odoo import http
from odoo.exceptions import AccessError
from odoo.http import request

from odoo.addons.field_intervention_sign.tools.request_origin import request_origin

TECHNICIAN_GROUP = "field_intervention.group_field_intervention_technician"
DEFAULT_DAYS = 3


class FieldInterventionMobileApi(http.Controller):
    """The phone app's API: thin routes, the models decide (see the addon's USAGE.md)."""

    @staticmethod
    def _fi_check_technician():
        if not request.env.user.has_group(TECHNICIAN_GROUP):
            raise AccessError(request.env._("The phone app is for the technicians of the field service."))

    @staticmethod
    def _fi_origin():
        """Who and where the request comes from, for the signature evidence."""
        return request_origin(request.env.user, request.httprequest)

    # readonly: the day is only read, so a replica (db_replica_host) may serve it
    @http.route("/field_intervention/app/api/day", type="json", auth="user", methods=["POST"], readonly=True)
    def fi_mobile_day(self, days=DEFAULT_DAYS, owner=None, **kw):
        """The technician's interventions of today and the next ``days`` days (``owner``: the
        user the phone's store belongs to, refused when it is not the session's)."""
        self._fi_check_technician()
        if owner is not None:
            request.env["field.intervention.mobile.op"]._fi_mobile_check_owner(owner)
        if not isinstance(days, int) or isinstance(days, bool):
            days = DEFAULT_DAYS
        return request.env["field.intervention"]._fi_mobile_day(days)

    @http.route("/field_intervention/app/api/sync", type="json", auth="user", methods=["POST"])
    def fi_mobile_sync(self, device_id=None, ops=None, owner=None, **kw):
        """Apply the operations queued on the phone for ``owner``, in order; answer each one."""
        self._fi_check_technician()
        return request.env["field.intervention.mobile.op"]._fi_mobile_apply(
            ops, device_id if isinstance(device_id, str) else "", self._fi_origin(), owner=owner
        )
