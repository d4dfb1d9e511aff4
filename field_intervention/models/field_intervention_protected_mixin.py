from odoo import api, models

from ..tools.trusted_write import check_protected, is_trusted

# fields the mail mixins manage themselves (followers, messages, activities): core guards them
CORE_MANAGED_MIXINS = ("mail.thread", "mail.activity.mixin")


class FieldInterventionProtectedMixin(models.AbstractModel):
    """Fields that a user's create() and write() may not set.

    Everything is protected unless the model lists it in :meth:`_fi_user_fields`: the next
    field added is protected until someone decides who may set it. Workflow and evidence
    values are written by the model's own methods, after their checks, inside
    :func:`~odoo.addons.field_intervention.tools.trusted_write.trusted_write`.
    """

    _name = "field.intervention.protected.mixin"
    _description = "Field Intervention Protected Fields"

    def _fi_user_fields(self):
        """Names of the fields the current user may set in create() and write() (hook)."""
        return set()

    def _fi_protected_hint(self):
        """What to do instead, ending the refusal message (hook)."""
        return self.env._("these values are set by the application itself.")

    def _fi_allowed_fields(self):
        allowed = self._fi_user_fields()
        for mixin in CORE_MANAGED_MIXINS:
            if isinstance(self, self.pool[mixin]):
                allowed |= set(self.pool[mixin]._fields)
        return allowed

    def _fi_check_user_values(self, vals_list):
        """Refuse the protected fields in values coming from a user's environment."""
        if is_trusted(self.env):
            return
        allowed = self._fi_allowed_fields()
        check_protected(self, vals_list, lambda name: name not in allowed, self._fi_protected_hint())

    def _fi_without_protected_defaults(self):
        """The same recordset without ``default_<field>`` context keys of protected fields (a
        client may send any context; defaults of protected fields are dropped, not applied)."""
        allowed = self._fi_allowed_fields()
        context = {
            key: value
            for key, value in self.env.context.items()
            if not (key.startswith("default_") and key[8:] in self._fields and key[8:] not in allowed)
        }
        if len(context) == len(self.env.context):
            return self
        return self.with_env(self.env(context=context))

    @api.model_create_multi
    def create(self, vals_list):
        if is_trusted(self.env):
            return super().create(vals_list)
        self._fi_check_user_values(vals_list)
        return super(FieldInterventionProtectedMixin, self._fi_without_protected_defaults()).create(vals_list)

    def write(self, vals):
        self._fi_check_user_values([vals])
        return super().write(vals)
