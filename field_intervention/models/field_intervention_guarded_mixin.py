from odoo import api, models

from ..tools.trusted_write import check_protected


class FieldInterventionGuardedMixin(models.AbstractModel):
    """Fields our addons add to a core model and set themselves (computed values, links made by
    the invoicing or the timesheet synchronisation): refused in a user's create() and write().

    The core model keeps its own rules for its own fields; the model that inherits this mixin
    names the guarded ones in :meth:`_fi_guarded_fields`.
    """

    _name = "field.intervention.guarded.mixin"
    _description = "Field Intervention Guarded Fields"

    def _fi_guarded_fields(self):
        """Names of the fields a user may not set (hook)."""
        return frozenset()

    def _fi_guarded_hint(self):
        """What to do instead, ending the refusal message (hook)."""
        return self.env._("these values are set by the application itself.")

    @api.model_create_multi
    def create(self, vals_list):
        check_protected(self, vals_list, self._fi_guarded_fields(), self._fi_guarded_hint())
        return super().create(vals_list)

    def write(self, vals):
        check_protected(self, [vals], self._fi_guarded_fields(), self._fi_guarded_hint())
        return super().write(vals)
