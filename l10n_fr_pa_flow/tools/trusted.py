"""Fields and records only this module's own methods write.

Any user may send any field over RPC: the flows, their attempts and the lifecycle history are
evidence, and the deposit and status fields of invoices are set by the deposit and lifecycle
code only. That code works under :func:`pa_trusted` (a context variable of the running thread,
which no RPC client can set) after its own checks.
"""

import contextvars
from contextlib import contextmanager

from odoo.exceptions import AccessError

_TRUSTED = contextvars.ContextVar("l10n_fr_pa_flow_trusted", default=False)


@contextmanager
def pa_trusted():
    token = _TRUSTED.set(True)
    try:
        yield
    finally:
        _TRUSTED.reset(token)


def check_pa_trusted(model, names=None):
    """Refuse the change unless it comes from superuser code or this module's methods.

    :param model: the recordset written (its env is the caller's)
    :param names: the fields set; None: the whole record (create, write of an evidence model)
    """
    if model.env.su or _TRUSTED.get():
        return
    if names is not None and not names:
        return
    what = ", ".join(sorted(names)) if names else model._description
    raise AccessError(
        model.env._(
            "%(what)s (%(model)s) is set by the approved platform exchange only.", what=what, model=model._description
        )
    )
