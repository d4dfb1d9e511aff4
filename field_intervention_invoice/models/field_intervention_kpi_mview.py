import logging
import time

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, sql

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "field_intervention.group_field_intervention_manager"


class FieldInterventionKpiMview(models.AbstractModel):
    """Monthly KPIs read from a PostgreSQL materialized view.

    Aggregating the whole history at each request took seconds at 150,000 interventions (the
    medians and grouping sets read every row): the figures are computed once into the view, by
    the scheduled action and the managers' Refresh button, and the dashboards read the few
    monthly rows. ``REFRESH ... CONCURRENTLY`` (possible thanks to the unique index on the
    natural key) never blocks the readers. The ORM's access rules and record rules apply to the
    view as to any table.

    A model using it sets ``_auto = False`` and ``_fi_mview_key`` (the columns of the unique
    index, never NULL) and implements ``_fi_mview_query()`` (the SELECT of the rows, with an
    ``id``).
    """

    _name = "field.intervention.kpi.mview"
    _description = "Materialized Intervention KPIs"
    _fi_mview_key = ()

    computed_at = fields.Datetime(
        string="Figures as of", readonly=True, help="When these figures were computed (refreshed every 10 minutes)."
    )

    def _fi_mview_query(self):
        raise NotImplementedError

    def init(self):
        if self._abstract:
            return
        # dropped and created again on install and update, so that a change of the query takes
        # effect; created WITH DATA, so that the next refresh may be CONCURRENTLY
        sql.drop_view_if_exists(self.env.cr, self._table)
        start = time.monotonic()
        self.env.cr.execute(
            SQL(
                """
                CREATE MATERIALIZED VIEW %(table)s AS
                SELECT mv.*, (NOW() AT TIME ZONE 'UTC') AS computed_at FROM (%(query)s) mv
                WITH DATA
                """,
                table=SQL.identifier(self._table),
                query=self._fi_mview_query(),
            )
        )
        # the natural key, unique: needed by REFRESH ... CONCURRENTLY (plain columns, no NULL)
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX %s ON %s (%s)",
                SQL.identifier(f"{self._table}_key_uniq"),
                SQL.identifier(self._table),
                SQL(", ").join(SQL.identifier(column) for column in self._fi_mview_key),
            )
        )
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX %s ON %s (id)",
                SQL.identifier(f"{self._table}_id_uniq"),
                SQL.identifier(self._table),
            )
        )
        _logger.info("%s: materialized view created in %.2f s", self._table, time.monotonic() - start)

    def _fi_refresh(self):
        """Compute the figures again (scheduled action, Refresh button): the readers keep
        reading the previous figures until the refresh commits."""
        if self._abstract:
            return
        self.env.flush_all()
        self.env.cr.execute(
            SQL("SELECT ispopulated FROM pg_matviews WHERE matviewname = %s", self._table),
        )
        populated = self.env.cr.fetchone()
        if populated is None:  # not created (yet): init() creates it with its data
            return
        start = time.monotonic()
        self.env.cr.execute(
            SQL(
                "REFRESH MATERIALIZED VIEW %s %s",
                SQL("CONCURRENTLY") if populated[0] else SQL(),
                SQL.identifier(self._table),
            )
        )
        self.invalidate_model()
        _logger.info("%s: refreshed in %.2f s", self._table, time.monotonic() - start)

    @api.model
    def _cron_fi_refresh_dashboards(self):
        """The dashboards' scheduled action: every materialized view, one after the other, in
        one cron worker. Two actions (one per view) ran at the same time every 10 minutes and
        took both of Odoo's default two cron workers for 20 to 30 s at 300,000 interventions:
        the invoicing of a signature waited for them (26 s measured by benchmarks/run.py).
        Background work on one core: PostgreSQL's parallel workers (two by default) made the
        refresh take every core of a small server for 45 s, and the signatures' jobs waited for
        the processor (the Refresh button, a manager waiting for it, keeps them)."""
        self.env.cr.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        for name in sorted(self.env.registry.descendants([self._name], "_inherit")):
            self.env[name]._fi_refresh()

    def action_fi_refresh(self):
        """The managers' Refresh button: compute the figures now."""
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only field service managers may refresh the dashboards."))
        # no sudo needed: the refresh is one SQL statement computing the figures of every company
        # together (the readers' record rules filter them)
        self._fi_refresh()
        return {"type": "ir.actions.client", "tag": "soft_reload"}
