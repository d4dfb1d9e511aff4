"""Bulk data for the load tests, and server-side measures read from the server's own log.

Bulk rows are cloned in SQL from a real intervention made through the ORM (every stored
column copied, only the number changed): creating 10,000 interventions through the ORM would
take minutes, and what is measured here is how reads scale, not how rows are created.

Query counts and server times come from the line Odoo's HTTP layer logs for each request
("... HTTP/1.1" 200 - <queries> <sql time> <other time>), found by a unique marker in the URL:
it counts every query of the request, server-side, and needs nothing in the addons."""

import re
import uuid

from .clients import poll

SKIPPED_COLUMNS = {"id", "name", "access_token", "signature_id", "signed_pdf_id", "message_main_attachment_id"}


def clone_interventions(pg, template_id, count, partner_id=None, state=None, technician_ids=None, task_id=None):
    """Insert ``count`` copies of intervention ``template_id`` (with its parts); return their ids.
    ``task_id``: the mission of the copies (a customer's interventions are on its own mission)."""
    with pg.cursor() as cr:
        cr.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'field_intervention'",
        )
        columns = [c for (c,) in cr.fetchall() if c not in SKIPPED_COLUMNS]
        overrides = {
            "partner_id": partner_id,
            "commercial_partner_id": partner_id,
            "site_id": partner_id,
            "task_id": task_id,
        }
        select = []
        params = []
        for column in columns:
            if overrides.get(column):
                select.append("%s")
                params.append(overrides[column])
            elif column == "state" and state:
                select.append("%s")
                params.append(state)
            else:
                select.append(f'fi."{column}"')
        quoted = ", ".join(f'"{c}"' for c in columns)
        cr.execute(
            f"""INSERT INTO field_intervention (name, {quoted})
                SELECT fi.name || '-C' || lpad(g::text, 5, '0'), {", ".join(select)}
                  FROM field_intervention fi, generate_series(1, %s) g
                 WHERE fi.id = %s
             RETURNING id""",
            [*params, count, template_id],
        )
        ids = [row[0] for row in cr.fetchall()]
        cr.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'field_intervention_part'",
        )
        part_columns = [c for (c,) in cr.fetchall() if c not in ("id", "intervention_id")]
        quoted = ", ".join(f'"{c}"' for c in part_columns)
        cr.execute(
            f"""INSERT INTO field_intervention_part (intervention_id, {quoted})
                SELECT new.id, {", ".join(f'p."{c}"' for c in part_columns)}
                  FROM unnest(%s::int[]) AS new(id), field_intervention_part p
                 WHERE p.intervention_id = %s""",
            [ids, template_id],
        )
        if state in ("signed", "disputed"):
            clone_evidence(cr, template_id, ids, task_id)
        technicians = technician_ids
        if technicians is None:
            cr.execute("SELECT user_id FROM field_intervention_res_users_rel WHERE intervention_id = %s", [template_id])
            technicians = [row[0] for row in cr.fetchall()]
        cr.execute(
            """INSERT INTO field_intervention_res_users_rel (intervention_id, user_id)
               SELECT new.id, tech FROM unnest(%s::int[]) AS new(id), unnest(%s::int[]) AS tech""",
            [ids, list(technicians)],
        )
    return ids


def copy_rows(cr, table, link_column, template_id, ids, overrides=None):
    """Copy the rows of ``table`` linked to ``template_id`` once per id of ``ids`` (the copy
    linked to it); ``overrides``: column -> SQL expression (``new.id`` is the new parent)."""
    overrides = overrides or {}
    cr.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s", [table])
    columns = [c for (c,) in cr.fetchall() if c not in ("id", link_column)]
    quoted = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join(overrides.get(c, f'src."{c}"') for c in columns)
    cr.execute(
        f"""INSERT INTO {table} ({link_column}, {quoted})
            SELECT new.id, {values}
              FROM unnest(%s::int[]) AS new(id), {table} src
             WHERE src.{link_column} = %s
         RETURNING id, {link_column}""",
        [ids, template_id],
    )
    return cr.fetchall()


def clone_evidence(cr, template_id, ids, task_id=None):
    """Signed clones carry what a signed intervention has: their own copy of the signature
    evidence (the content the customer signed) and the timesheets of the signed hours."""
    rows = copy_rows(
        cr, "field_intervention_signature", "intervention_id", template_id, ids, {"verify_token": "md5(random()::text)"}
    )
    cr.execute(
        """UPDATE field_intervention fi SET signature_id = sig.id
             FROM unnest(%s::int[], %s::int[]) AS sig(id, intervention_id)
            WHERE fi.id = sig.intervention_id""",
        [[row[0] for row in rows], [row[1] for row in rows]],
    )
    task = {"task_id": str(int(task_id))} if task_id else {}
    copy_rows(cr, "account_analytic_line", "intervention_id", template_id, ids, task)


def marker():
    return f"m{uuid.uuid4().hex[:12]}"


LINE = re.compile(
    r'"(?:GET|POST) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d+) - (?P<queries>\d+) (?P<sql>[\d.]+) (?P<other>[\d.]+)'
)


def request_stats(server, mark, timeout=30):
    """(query count, server seconds) of the request whose URL contains ``mark``."""

    def find():
        for __, logger, message in server.log_records():
            if logger == "werkzeug" and mark in message:
                match = LINE.search(message)
                if match:
                    return int(match["queries"]), float(match["sql"]) + float(match["other"])
        return None

    return poll(find, timeout, f"the log line of request {mark}")
