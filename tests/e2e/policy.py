"""Who may change what: the one statement of the trust model (DESIGN.md, "Trust model").

For every model of our addons, every field and every public method, the roles that may set the
field (create/write) or call the method, in each state of the intervention report. The probe
matrix (test_2_security_matrix.py) reads the registry of the running server and holds the code to
this table: a field or a public method missing here fails the test, so the next one added
cannot be forgotten; a probe that succeeds where this table says no is a leak; a probe refused
where this table says yes is a drift (the table or the code is wrong).

Roles (each logged in through the web client's JSON-RPC, the way a script or the browser
console talks to Odoo):

- ``tech_own``: technician assigned to the interventions of the fixture;
- ``tech_other``: another technician of the company;
- ``manager``: dispatcher / manager of the field service;
- ``billing``: billing clerk (Accounting / Invoicing);
- ``portal_own``: portal user of the customer of the fixture;
- ``portal_other``: portal user of another customer.

The public visitor (with and without the customer's link token) cannot call models at all: the
matrix probes every model and method without a session, and the portal routes with the token
of each state (``ROUTES``).

States of the fixture interventions (one of each, all of the same customer and technician):
``draft`` (time and work entered by hand), ``in_progress`` (timer running), ``done``,
``signed`` (not invoiced yet), ``disputed`` (refused by the customer), ``cancel``. Models
without a report state have one fixture record (state ``any``).

The invoice of an intervention (``account.move``) has its own states (``INVOICE_STATES``): a
draft; posted before any deposit; deposited on the approved platform (l10n_fr_pa_flow) and still
queued; deposited and accepted; rejected by the platform (Error acknowledgement); deposited,
then rejected by a 213 Rejetée. Core's lifecycle (``CORE_FIELDS``, ``CORE_METHODS``,
``REVERSAL``) is probed there too.

The platform's webhook (``WEBHOOK``) and the phone's sync API (``PHONE_API``, ``SYNC``) are
probed as well, per role (``public``: no session) and per state of the interventions.

A rule is ``{role: states}``: the role may do it in these states, nobody else anywhere.
"""

STATES = ("draft", "in_progress", "done", "signed", "disputed", "cancel")
ANY = ("any",)
ROLES = ("tech_own", "tech_other", "manager", "billing", "portal_own", "portal_other")
EDITABLE = ("draft", "in_progress")  # the report content is locked from done on
CUSTOMER_STATES = ("done", "signed", "disputed")
# the invoice of an intervention (fixture of account.move): see the module's docstring
INVOICE_STATES = ("draft", "posted", "queued", "deposited", "rejected", "rejected_213")
INVOICE_HELD = ("queued", "deposited")  # the platform holds it: final, a credit note corrects it
INVOICE_FREE = ("posted", "rejected", "rejected_213")  # posted, not held by the platform
INVOICE_POSTED = INVOICE_STATES[1:]
# models whose fixtures have states of their own
AXES = {"account.move": INVOICE_STATES}


def may(*roles, states=STATES):
    return {role: frozenset(states) for role in roles}


NOBODY = {}
# the report content: the assigned technician and the dispatcher, while it is not locked
CONTENT = may("tech_own", "manager", states=EDITABLE)
# followers, messages, activities: core's mail rules (anyone who may write the record)
MAIL = may("tech_own", "manager", "billing")

MAIL_FIELDS = (
    "activity_date_deadline",
    "activity_exception_decoration",
    "activity_exception_icon",
    "activity_ids",
    "activity_state",
    "activity_summary",
    "activity_type_icon",
    "activity_type_id",
    "activity_user_id",
    "has_message",
    "message_attachment_count",
    "message_follower_ids",
    "message_has_error",
    "message_has_error_counter",
    "message_has_sms_error",
    "message_ids",
    "message_is_follower",
    "message_needaction",
    "message_needaction_counter",
    "message_partner_ids",
    "my_activity_date_deadline",
    "rating_ids",
    "website_message_ids",
)
MAGIC_FIELDS = ("id", "display_name", "create_date", "create_uid", "write_date", "write_uid")

REPORT_CONTENT = (
    "task_id",
    "partner_id",
    "site_id",
    "technician_ids",
    "planned_date",
    "company_id",
    "time_ids",
    "travel_duration",
    "travel_distance",
    "work_description",
    "findings",
    "checklist_line_ids",
    "part_ids",
    "photo_ids",
    # field_intervention_maintenance: the equipment the intervention serviced, and what the
    # boiler maintenance certificate prints besides the measurements (signed with the report)
    "equipment_ids",
    "measuring_instruments",
    "sizing_assessment",
    "advice_use",
    "advice_improvement",
    "advice_replacement",
)
# set by the intervention's own actions, computed, or the customer's token
REPORT_PROTECTED = (
    "name",
    "state",
    "timer_state",
    "is_running",
    "date_start",
    "date_end",
    "duration",
    "pause_duration",
    "intervention_date",
    "is_locked",
    "photo_count",
    "project_id",
    "planned_date_end",
    "site_phone",
    "site_mobile",
    "site_map_url",
    "timesheet_ids",
    "access_token",
    "access_url",
    "access_warning",
    # field_intervention_sign
    "signature_ids",
    "signature_id",
    "signed_date",
    "signer_name",
    "signed_pdf_id",
    "has_reserves",
    "sign_event_ids",
    "sign_pending_job",
    "sign_pdf_pending",
    "sign_mail_pending",
    "sign_job_error",
    "sign_job_attempts",
    "sign_job_next_try",
    "sign_refusal_reason",
    # field_intervention_invoice
    "commercial_partner_id",
    "invoice_status",
    "invoice_line_ids",
    "invoice_id",
    "invoice_error",
    "invoice_no_quantity",
    # field_intervention_pa: the status of its invoice on the approved platform (computed)
    "fi_pa_status",
    "fi_pa_attention",
    # field_intervention_maintenance: the contract of the mission's visit and what it covers,
    # taken when the intervention is created, locked with the report, signed as covered
    "fi_contract_id",
    "fi_cover_labour",
    "fi_cover_travel",
    "fi_cover_parts",
    "fi_cover_product_ids",
    # field_intervention_maintenance: the certificates the signature's job pipeline produced
    "boiler_certificate_ids",
)


def fields_of(rule, names):
    return dict.fromkeys(names, rule)


LINE_MAGIC = fields_of(NOBODY, (*MAGIC_FIELDS, "company_id"))

# --- field_intervention_maintenance (no report state: one fixture record each, state "any") ---
# the installed base: any technician records and describes equipment on site, the dispatcher too;
# customers read their own in the portal (record rule), nobody outside the field service writes
FIELD_SERVICE = may("tech_own", "tech_other", "manager", states=ANY)
EQUIPMENT_USER_FIELDS = (
    "name",
    "active",
    "company_id",
    "site_id",
    "kind",
    "brand",
    "model",
    "serial_number",
    "installation_date",
    "energy",
    "power_kw",
    "refrigerant",
    "refrigerant_charge_kg",
    "note",
    # what the boiler maintenance certificate identifies
    "room",
    "flue_type",
    "last_sweep_date",
    "reference_efficiency",
    "reference_nox",
)
# the customer follows the site; the history is recorded by the interventions
EQUIPMENT_PROTECTED = (
    "partner_id",
    "has_refrigerant",
    "intervention_ids",
    "intervention_count",
    "contract_line_ids",
    "qr_url",
    # the certificates the signature's job pipeline produced
    "boiler_certificate_ids",
)
# a contract's terms: the dispatcher's, while it is a draft or runs (the fixture runs)
DISPATCHER = may("manager", states=ANY)
CONTRACT_USER_FIELDS = (
    "partner_id",
    "site_ids",
    "project_id",
    "user_id",
    "line_ids",
    "date_start",
    "duration_months",
    "tacit_renewal",
    "include_labour",
    "include_travel",
    "parts_policy",
    "covered_product_ids",
    "fee_period",
    "fee_amount",
    "note",
    # who follows it, its cancellation notice, how its fee is revised (the base index value is
    # the dispatcher's at signing; the yearly revision then moves it to the value used)
    "responsible_id",
    "notice_days",
    "price_revision",
    "revision_percentage",
    "revision_index_id",
)
# status and dates moved by the contract's actions, computed values, the planned visits
CONTRACT_PROTECTED = (
    "name",
    "state",
    "date_end",
    "date_terminated",
    "currency_id",
    "fee_yearly",
    "visit_ids",
    "visit_count",
    # renewal: the terms renewed and the deadline follow the end date; the notice sent (once per
    # term) and the refusal are recorded by the scheduled action and the refusal button
    "renewal_count",
    "renewal_deadline",
    "is_consumer",
    "renewal_notice_sent_for",
    "renewal_refused_date",
    # price revision: done by the scheduled action at the anniversary
    "revision_index_value",
    "price_revision_date",
    "price_revision_next",
    "price_revision_missing_for",
    "fee_revised",
    "fee_yearly_revised",
    # field_intervention_maintenance_invoice: the invoiced fee periods (the scheduled action's)
    "fee_ids",
    "fee_count",
)
# the values of the price indices (BT40, ICHT-IME...): the dispatcher enters or imports them
PRICE_INDEX_FIELDS = ("name", "month", "value")
CONTRACT_LINE_USER_FIELDS = (
    "contract_id",
    "sequence",
    "equipment_id",
    "periodicity",
    "first_due_date",
    "visit_duration",
    "note",
)
# a visit is planned by the scheduled action (unique per contract line and due date); the
# dispatcher reschedules it (its planned day), its due date never moves
VISIT_PROTECTED = (
    "contract_line_id",
    "contract_id",
    "company_id",
    "equipment_id",
    "partner_id",
    "site_id",
    "due_date",
    "task_id",
    "user_ids",
    "state",
    "is_overdue",
)

FIELDS = {
    "field.intervention": {
        **fields_of(CONTENT, REPORT_CONTENT),
        **fields_of(NOBODY, REPORT_PROTECTED + MAGIC_FIELDS),
        **fields_of(MAIL, MAIL_FIELDS),
        # whether and how it is billed is billing's (and the dispatcher's) call, in any state
        "invoice_policy": may("billing", "manager"),
    },
    "field.intervention.time": {
        **LINE_MAGIC,
        **fields_of(CONTENT, ("intervention_id", "date_start", "date_end")),
        "duration": NOBODY,
    },
    "field.intervention.part": {
        **LINE_MAGIC,
        **fields_of(CONTENT, ("intervention_id", "sequence", "product_id", "name", "quantity", "product_uom_id")),
        "product_uom_category_id": NOBODY,
        # field_intervention_maintenance: computed from the contract's terms the intervention took
        "fi_covered": NOBODY,
    },
    "field.intervention.checklist.line": {
        **LINE_MAGIC,
        **fields_of(CONTENT, ("intervention_id", "sequence", "name", "result", "note")),
        # field_intervention_maintenance: a measurement line (kind, value, reference; the unit
        # follows the kind)
        **fields_of(CONTENT, ("equipment_id", "measure_kind", "measure_value", "measure_reference")),
        "measure_unit": NOBODY,
    },
    "field.intervention.photo": {
        **LINE_MAGIC,
        **fields_of(CONTENT, ("intervention_id", "sequence", "name", "image")),
        "image_256": NOBODY,
        # field_intervention_mobile: the hash of the bytes the phone sent, set by the sync
        "source_sha256": NOBODY,
    },
    # project configuration: the dispatcher
    "field.intervention.checklist.template": {
        **fields_of(NOBODY, MAGIC_FIELDS),
        **fields_of(may("manager", states=ANY), ("project_id", "sequence", "name", "active")),
    },
    "field.intervention.equipment": {
        **fields_of(NOBODY, MAGIC_FIELDS + EQUIPMENT_PROTECTED),
        **fields_of(FIELD_SERVICE, EQUIPMENT_USER_FIELDS),
        **fields_of(FIELD_SERVICE, MAIL_FIELDS),
    },
    "field.intervention.contract": {
        **fields_of(NOBODY, MAGIC_FIELDS + CONTRACT_PROTECTED),
        **fields_of(DISPATCHER, CONTRACT_USER_FIELDS),
        **fields_of(DISPATCHER, MAIL_FIELDS),
        "company_id": NOBODY,
    },
    "field.intervention.contract.line": {
        **fields_of(NOBODY, (*MAGIC_FIELDS, "company_id", "site_id")),
        **fields_of(DISPATCHER, CONTRACT_LINE_USER_FIELDS),
    },
    "field.intervention.price.index": {
        **fields_of(NOBODY, MAGIC_FIELDS),
        **fields_of(DISPATCHER, PRICE_INDEX_FIELDS),
    },
    "field.intervention.visit": {
        **fields_of(NOBODY, MAGIC_FIELDS + VISIT_PROTECTED),
        "planned_date": DISPATCHER,
    },
    # the evidence: nobody, ever (the signing flow writes it as the application)
    "field.intervention.signature": {},  # filled below: every field NOBODY
    "field.intervention.sign.event": {},
    # field_intervention_mobile: what the phones sent, with its result; the sync writes it
    "field.intervention.mobile.op": {},  # filled below: every field NOBODY
    # the device signing screen and the signature request: the technician's own wizard
    "field.intervention.sign.wizard": {
        **fields_of(NOBODY, (*MAGIC_FIELDS, "summary_html", "consent_text")),
        # a signing screen is its creator's only (record rule): the technician's, or the
        # dispatcher's own (the matrix probes the dispatcher on a screen he opened)
        **fields_of(
            may("tech_own", "manager", states=ANY),
            (
                "intervention_id",
                "decision",
                "signer_name",
                "signer_email",
                "reserves",
                "refusal_reason",
                "signature",
                "geo_consent",
                "latitude",
                "longitude",
            ),
        ),
    },
    "field.intervention.sign.request": {
        **fields_of(NOBODY, (*MAGIC_FIELDS, "allowed_partner_ids")),
        **fields_of(may("tech_own", "manager", states=ANY), ("intervention_id", "partner_ids")),
    },
    # SQL views of the billing analysis: read only
    "field.intervention.invoice.report": {},
    "field.intervention.invoice.kpi": {},
    "field.intervention.cash.report": {},
    "field.intervention.cash.kpi": {},
    # the approved platform exchange (l10n_fr_pa_flow): evidence, written by its own methods only
    "l10n_fr_pa.flow": {},
    "l10n_fr_pa.flow.attempt": {},
    "l10n_fr_pa.status": {},
    # e-reporting transmissions: built by the daily action, read by billing
    "l10n_fr_pa.ereport": {},
    # --- fields our addons add to core models (state "any": one fixture record) -------------
    "account.analytic.line": {"intervention_id": NOBODY},
    "account.move": fields_of(
        NOBODY,
        (
            "fi_from_intervention",
            "fi_check_state",
            "fi_check_reasons",
            "fi_intervention_ids",
            "fi_intervention_count",
            # l10n_fr_pa_flow: set by the platform exchange only (deposit, lifecycle, collections)
            "l10n_fr_pa_flow_ids",
            "l10n_fr_pa_status_ids",
            "l10n_fr_pa_deposit_state",
            "l10n_fr_pa_deposit_reason",
            "l10n_fr_pa_deposit_date",
            "l10n_fr_pa_status",
            "l10n_fr_pa_attention",
            "l10n_fr_pa_acceptance_date",
            "l10n_fr_pa_cash_date",
            "l10n_fr_pa_collected_sent",
            "l10n_fr_pa_collection_delta",
        ),
    ),
    "account.move.line": fields_of(NOBODY, ("intervention_id", "fi_invoice_claim")),
    "project.task": {
        # the mission: what core lets its people change (the assigned technician, the dispatcher)
        **fields_of(
            may("tech_own", "manager", states=ANY),
            ("intervention_site_id", "planned_date_start", "planned_date_end", "intervention_ids", "fi_equipment_ids"),
        ),
        # field_intervention_maintenance: the visits of a mission are linked by the planning
        **fields_of(
            NOBODY, ("is_field_service", "intervention_site_phone", "intervention_site_map_url", "fi_visit_ids")
        ),
        "intervention_count": NOBODY,
    },
    "project.project": {
        **fields_of(
            may("manager", states=ANY),
            (
                "is_field_service",
                "labour_product_id",
                "travel_product_id",
                "part_product_ids",
                "checklist_template_ids",
                "intervention_ids",
                "intervention_invoice_policy",
            ),
        ),
        "intervention_count": NOBODY,
    },
    # company settings: the administrator only (not a probed role)
    "res.company": {},
    "res.config.settings": {},
    # a customer's invoicing policy: who may change the contact (core's "Contact Creation" right,
    # which none of the probed roles has) and sees the field (billing, the dispatcher)
    # (l10n_fr_pa_flow adds the approved platform to core's sending method of a customer)
    "res.partner": {"intervention_invoice_policy": NOBODY, "peppol_eas": NOBODY, "invoice_sending_method": NOBODY},
    # Send's dialogs, extended for their behaviour only (the platform as a sending method)
    "account.move.send.wizard": {},
    "account.move.send.batch.wizard": {},
    # extended for their behaviour only (the report's files, the retried mails): no field of ours
    "ir.actions.report": {},
    "ir.attachment": {},
    "mail.mail": {},
    # the sale order path of the invoicing (field_intervention_invoice/models/sale_order_line.py)
    "sale.order.line": {},
}
for _model in (
    # field_intervention_maintenance: the boiler maintenance certificate, the application's only
    "field.intervention.boiler.certificate",
    # field_intervention_maintenance_invoice: the invoiced fee periods of the contracts, evidence
    # of the exactly-once invoicing: the scheduled action and the termination write them
    "field.intervention.contract.fee",
    "field.intervention.signature",
    "field.intervention.sign.event",
    "field.intervention.mobile.op",
    "field.intervention.invoice.report",
    "field.intervention.invoice.kpi",
    "field.intervention.cash.report",
    "field.intervention.cash.kpi",
    "l10n_fr_pa.flow",
    "l10n_fr_pa.flow.attempt",
    "l10n_fr_pa.status",
    "l10n_fr_pa.ereport",
    "res.company",
    "res.config.settings",
):
    FIELDS[_model] = "NOBODY"  # every field of the model, whatever the registry lists

# who may create a record (with the fields above) and delete one
CREATE = {
    "field.intervention": may("tech_own", "manager", states=("draft",)),
    "field.intervention.time": CONTENT,
    "field.intervention.part": CONTENT,
    "field.intervention.checklist.line": CONTENT,
    "field.intervention.photo": CONTENT,
    "field.intervention.checklist.template": may("manager", states=ANY),
    "field.intervention.equipment": FIELD_SERVICE,
    "field.intervention.contract": DISPATCHER,
    "field.intervention.contract.line": DISPATCHER,
    "field.intervention.price.index": DISPATCHER,
    "field.intervention.visit": NOBODY,  # planned by the scheduled action only
    "field.intervention.boiler.certificate": NOBODY,  # the signature's job pipeline only
    "field.intervention.contract.fee": NOBODY,  # the fee invoicing only (unique per period)
    "field.intervention.signature": NOBODY,
    "field.intervention.sign.event": NOBODY,
    "field.intervention.mobile.op": NOBODY,
    "field.intervention.sign.wizard": may("tech_own", "manager", states=ANY),
    "field.intervention.sign.request": may("tech_own", "manager", states=ANY),
    "field.intervention.invoice.report": NOBODY,
    "field.intervention.invoice.kpi": NOBODY,
    "field.intervention.cash.report": NOBODY,
    "field.intervention.cash.kpi": NOBODY,
    "l10n_fr_pa.flow": NOBODY,
    "l10n_fr_pa.flow.attempt": NOBODY,
    "l10n_fr_pa.status": NOBODY,
    "l10n_fr_pa.ereport": NOBODY,
}
UNLINK = {
    # a draft or cancelled report never presented for signature, by the dispatcher
    "field.intervention": may("manager", states=("draft", "cancel")),
    "field.intervention.time": CONTENT,
    "field.intervention.part": CONTENT,
    "field.intervention.photo": CONTENT,
    "field.intervention.checklist.line": may("manager", states=EDITABLE),
    "field.intervention.checklist.template": may("manager", states=ANY),
    "field.intervention.equipment": DISPATCHER,  # technicians do not delete the installed base
    "field.intervention.contract": NOBODY,  # a draft only: the fixture runs (terminate it instead)
    "field.intervention.contract.line": DISPATCHER,  # a line without visits (the probe's fresh one)
    "field.intervention.price.index": DISPATCHER,  # a value no contract is based on (the fresh one)
    "field.intervention.visit": NOBODY,
    "field.intervention.boiler.certificate": NOBODY,
    "field.intervention.contract.fee": NOBODY,
    "field.intervention.signature": NOBODY,
    "field.intervention.sign.event": NOBODY,
    "field.intervention.mobile.op": NOBODY,
    "field.intervention.sign.wizard": may("tech_own", states=ANY),
    "field.intervention.sign.request": may("tech_own", states=ANY),
    "field.intervention.invoice.report": NOBODY,
    "field.intervention.invoice.kpi": NOBODY,
    "field.intervention.cash.report": NOBODY,
    "field.intervention.cash.kpi": NOBODY,
    "l10n_fr_pa.flow": NOBODY,
    "l10n_fr_pa.flow.attempt": NOBODY,
    "l10n_fr_pa.status": NOBODY,
    "l10n_fr_pa.ereport": NOBODY,
}

READERS = may("tech_own", "manager", "billing")
METHODS = {
    "field.intervention": {
        "action_start": may("tech_own", "manager", states=("draft",)),
        "action_pause": may("tech_own", "manager", states=("in_progress",)),
        # the in_progress fixture's timer runs: resuming it is refused to everyone
        "action_resume": NOBODY,
        "action_stop": may("tech_own", "manager", states=("in_progress",)),
        # the draft fixture has its time and work entered by hand; in_progress's timer runs
        "action_done": may("tech_own", "manager", states=("draft",)),
        "action_cancel": may("tech_own", "manager", states=EDITABLE),
        "action_reopen": may("tech_own", "manager", states=("done",)),
        "action_reset_draft": may("tech_own", "manager", states=("cancel",)),
        "action_view_photos": READERS,  # employees only: customers see them in the portal
        "action_fi_customer_sign": may("tech_own", "manager", states=("done",)),
        "action_fi_send_for_signature": may("tech_own", "manager", states=("done",)),
        "action_fi_back_to_done": may("manager", states=("disputed",)),
        "action_fi_retry_sign_jobs": may("tech_own", "manager", "billing"),
        "action_fi_create_invoice": may("billing", states=("signed",)),
        "action_fi_view_invoice": may("billing"),
        # the URL, with the customer's token for the customer side only (checked by the matrix)
        "get_portal_url": {**READERS, "portal_own": frozenset(CUSTOMER_STATES)},
    },
    "field.intervention.sign.wizard": {"action_confirm": may("tech_own", states=ANY)},
    "field.intervention.sign.request": {"action_send": may("tech_own", states=ANY)},
    # the backend actions of the maintenance models: the field service's (customers: the portal)
    "field.intervention.equipment": {
        "action_view_interventions": FIELD_SERVICE,
        "action_print_label": FIELD_SERVICE,
    },
    "field.intervention.contract": {
        "action_confirm": NOBODY,  # the fixture runs already
        "action_terminate": DISPATCHER,
        # the customer's refusal, recorded by the dispatcher (the fixture renews tacitly)
        "action_refuse_renewal": DISPATCHER,
        "action_view_visits": FIELD_SERVICE,
        # field_intervention_maintenance_invoice: the window action on the contract's fee periods,
        # to whoever reads the contract (the periods themselves: billing and the dispatcher)
        "action_view_fees": {**FIELD_SERVICE, **may("billing", states=ANY)},
    },
    # a technician sees the visits of the missions assigned to him (the fixture's has none yet)
    "field.intervention.visit": {"action_open_task": DISPATCHER},
    "project.task": {
        "action_new_intervention": may("tech_own", "manager", states=ANY),
        "action_view_interventions": may("tech_own", "manager", states=ANY),
    },
    "project.project": {"action_view_interventions": may("tech_own", "manager", states=ANY)},
    # the invoice of an intervention in each state of its life (INVOICE_STATES): billing's
    "account.move": {
        "action_fi_post_clean": may("billing", states=("draft",)),  # posts the clean drafts only
        "action_fi_recheck": may("billing", states=INVOICE_STATES),  # a posted one is left as it is
        # the window action on the invoice's interventions, to whoever reads the invoice: the
        # customer reads its posted invoices on the portal (the action names the ids of its own
        # interventions, which its portal lists; it opens nothing for a portal user)
        "action_fi_view_interventions": {
            **may("billing", states=INVOICE_STATES),
            **may("portal_own", states=INVOICE_POSTED),
        },
        # core's cancellation and reset to draft (overridden by our addons): never once the
        # platform holds the invoice (queued or deposited), again once it refused it
        "button_cancel": may("billing", states=("draft", *INVOICE_FREE)),
        "button_draft": may("billing", states=INVOICE_FREE),  # core: a draft is no reset
        # billing queues the (re-)deposit; on an invoice not concerned it changes nothing
        "action_l10n_fr_pa_deposit": may("billing", states=INVOICE_STATES),
        # core's posting (checked before a deposit by l10n_fr_pa_flow): billing, a draft only
        "action_post": may("billing", states=("draft",)),
    },
    # the dashboards' Refresh button (materialized views computed again): managers only, billing
    # reads the figures of the scheduled refresh
    "field.intervention.invoice.kpi": {"action_fi_refresh": may("manager", states=ANY)},
    "field.intervention.cash.kpi": {"action_fi_refresh": may("manager", states=ANY)},
    # testing the platform connection: accounting administrators (not a probed role)
    "res.config.settings": {"action_l10n_fr_pa_test_connection": NOBODY},
    "mail.mail": {"process_email_queue": NOBODY},
}
# permitted calls that change the record: the matrix runs them on a fresh copy of the fixture
MUTATING = {
    "field.intervention": {
        "action_start",
        "action_pause",
        "action_resume",
        "action_stop",
        "action_done",
        "action_cancel",
        "action_reopen",
        "action_reset_draft",
        "action_fi_back_to_done",
        "action_fi_create_invoice",
    },
    "field.intervention.sign.wizard": {"action_confirm"},
    "field.intervention.sign.request": {"action_send"},
    "field.intervention.contract": {"action_terminate", "action_refuse_renewal"},
    # the invoice's: {method: the states in which it changes the invoice}
    "account.move": {
        "action_fi_post_clean": ("draft",),
        "button_cancel": INVOICE_STATES,
        "button_draft": INVOICE_STATES,
        "action_l10n_fr_pa_deposit": INVOICE_FREE,  # queues a deposit (not concerned elsewhere)
        "action_post": ("draft",),
    },
}

# portal routes for a visitor holding the token of the fixture in each state (logged out)
ROUTES = {
    "page": CUSTOMER_STATES,
    "report_html": CUSTOMER_STATES,
    "report_pdf": CUSTOMER_STATES,
    "signed_pdf": ("signed",),
    "sign": ("done",),
    "refuse": ("done",),
}

# --- core's lifecycle of the invoice of an intervention (issue 20) ------------------------------
# Core's fields of account.move, written as each role with a new value (a write of the value a
# field already has changes nothing, locked or not): {field: rule}. The matrix holds the values.
CORE_FIELDS = {
    "account.move": {
        # a header field of the deposited invoice (core lets billing change it on a posted one)
        "ref": may("billing", states=("draft", *INVOICE_FREE)),
        # the price of a line times ten: core refuses it on any posted invoice
        "invoice_line_ids": may("billing", states=("draft",)),
        # core's field, which billing writes as on any Odoo (the payment widget does): it is no
        # collection, the 212 Encaissée declares what reconciled payments brought in; the matrix
        # checks that the write declares nothing to the platform (COLLECTION)
        "payment_state": may("billing", states=INVOICE_STATES),
    },
}
# nobody's write of payment_state declares a collection (no 212 queued, nothing to declare)
COLLECTION = NOBODY
# core's public methods of account.move (not in the registry dump: core defines them)
CORE_METHODS = {
    "account.move": {
        # the credit note wizard's window action, to whoever reads the invoice (the customer
        # reads its posted invoices on the portal): no data, no change; the wizard itself is
        # billing's (REVERSAL)
        "action_reverse": {**may("billing", states=INVOICE_STATES), **may("portal_own", states=INVOICE_POSTED)},
    },
}
# the credit note: the account.move.reversal wizard (create, refund_moves) of a posted invoice,
# held by the platform or not (it is how a deposited invoice is corrected)
REVERSAL = may("billing", states=INVOICE_POSTED)

# --- the approved platform's webhook (l10n_fr_pa_flow/controllers/main.py) -------------------
# Only the platform, with the company's secret, is answered 200. A callback without a signature,
# with a wrong or malformed one, or for an unknown company is refused with one same answer
# (WEBHOOK_REFUSED), whatever the session cookie it carries; a body over the cap (64 KiB) or
# without a length is refused before it is read (413, 411: the same answer for every company).
# None changes anything or makes the server call the platform.
WEBHOOK_REFUSED = 403

# --- the phone's API (field_intervention_mobile/controllers/api.py) ---------------------------
PHONE_ROLES = (*ROLES, "public")
# who may call /day and /sync at all (others: the whole request refused, nothing stored)
PHONE_API = may("tech_own", "tech_other", "manager", states=ANY)
# which role's operation is applied (``ok``), on the fixture intervention of each state; anywhere
# else it is answered ``conflict`` or ``error``, changes nothing and names no intervention the
# role may not see. The technician's own phone, the dispatcher's too (the model's rules: CONTENT)
SYNC = {
    "start": may("tech_own", "manager", states=("draft",)),
    "pause": may("tech_own", "manager", states=("in_progress",)),
    "resume": NOBODY,  # the in_progress fixture's timer runs, the others have none to resume
    "stop": may("tech_own", "manager", states=("in_progress",)),
    "set_text": CONTENT,
    "set_checklist": CONTENT,
    "add_part": CONTENT,
    "remove_part": CONTENT,
    "add_photo": CONTENT,
    # a done report is answered "already done" (applied, changes nothing); a running timer
    # refuses Done, as the button does
    "done": may("tech_own", "manager", states=("draft", "done")),
    # the customer's offline signature of the content the phone showed (done first if a draft)
    "sign": may("tech_own", "manager", states=("draft", "done")),
}
