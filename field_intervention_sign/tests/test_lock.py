import base64
import json
from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import FiSignCase, FiSignHttpCase


@tagged("-at_install", "post_install")
class TestLock(FiSignCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.intervention = cls._create_done_intervention(
            photo_ids=[Command.create({"image": cls.signature_png, "name": "Avant"})],
            checklist_line_ids=[Command.create({"name": "Test sécurité", "result": "done"})],
        )
        cls._sign(cls.intervention)  # and the signed PDF, made right after the answer

    def test_content_locked_for_technician_and_manager(self):
        segment_start = fields.Datetime.now() - timedelta(days=1)
        operations = {
            "work": lambda rec: rec.write({"work_description": "changed"}),
            "findings": lambda rec: rec.write({"findings": "changed"}),
            "travel": lambda rec: rec.write({"travel_distance": 12.0}),
            "technicians": lambda rec: rec.write({"technician_ids": [Command.link(self.tech_other.id)]}),
            "add part": lambda rec: rec.env["field.intervention.part"].create(
                {"intervention_id": rec.id, "product_id": self.product.id, "quantity": 2}
            ),
            "edit part": lambda rec: rec.part_ids.write({"quantity": 5}),
            "delete part": lambda rec: rec.part_ids.unlink(),
            "add time": lambda rec: rec.env["field.intervention.time"].create(
                {"intervention_id": rec.id, "date_start": segment_start, "date_end": segment_start + timedelta(hours=1)}
            ),
            "edit time": lambda rec: rec.time_ids.write({"date_end": fields.Datetime.now()}),
            "delete time": lambda rec: rec.time_ids.unlink(),
            "add checklist": lambda rec: rec.env["field.intervention.checklist.line"].create(
                {"intervention_id": rec.id, "name": "extra"}
            ),
            "add photo": lambda rec: rec.env["field.intervention.photo"].create(
                {"intervention_id": rec.id, "image": self.signature_png}
            ),
            "edit photo": lambda rec: rec.photo_ids.write({"name": "changed"}),
            "delete photo": lambda rec: rec.photo_ids.unlink(),
            "edit checklist": lambda rec: rec.checklist_line_ids.write({"result": "not_done"}),
            "delete checklist": lambda rec: rec.checklist_line_ids.unlink(),
            "reopen": lambda rec: rec.action_reopen(),
            "cancel": lambda rec: rec.action_cancel(),
            "unlink": lambda rec: rec.unlink(),
        }
        for user in (self.tech, self.manager):
            for label, operation in operations.items():
                with self.subTest(user=user.login, operation=label):
                    with self.assertRaises(UserError) as catcher:
                        operation(self.intervention.with_user(user))
                    if user == self.manager:
                        # the manager has every right: only the lock can refuse
                        self.assertNotIsInstance(catcher.exception, AccessError)
        self.assertEqual(self.intervention.state, "signed")
        self.assertEqual(self.intervention.work_description, "Remplacement de la résistance du four.")
        self.assertEqual(
            self.intervention._fi_get_canonical_content(), self.intervention.signature_id.content_canonical
        )

    def test_timesheets_locked(self):
        timesheet = self.intervention.sudo().timesheet_ids
        self.assertTrue(timesheet)
        for user in (self.tech, self.manager):
            with self.subTest(user=user.login), self.assertRaises(UserError):
                timesheet.with_user(user).write({"unit_amount": 10})
            with self.subTest(user=user.login), self.assertRaises(UserError):
                timesheet.with_user(user).unlink()

    def test_evidence_is_append_only(self):
        signature = self.intervention.signature_id.sudo()
        event = self.intervention.sudo().sign_event_ids[:1]
        for env_user in (self.manager, self.env.ref("base.user_root")):
            with self.subTest(user=env_user.login):
                with self.assertRaises(UserError):
                    signature.with_user(env_user).write({"signer_name": "Forged"})
                with self.assertRaises(UserError):
                    signature.with_user(env_user).write({"pdf_hash": "0" * 64})
                with self.assertRaises(UserError):
                    signature.with_user(env_user).unlink()
                with self.assertRaises(UserError):
                    event.with_user(env_user).write({"description": "Forged"})
                with self.assertRaises(UserError):
                    event.with_user(env_user).unlink()
                with self.assertRaises(UserError):
                    self.intervention.signed_pdf_id.with_user(env_user).unlink()
                with self.assertRaises(UserError):
                    self.intervention.signed_pdf_id.with_user(env_user).write({"raw": b"%PDF-forged"})
        # a manager can read the evidence, a technician cannot
        self.assertEqual(signature.with_user(self.manager).signer_name, "Jeanne Durand")
        with self.assertRaises(AccessError):
            self.env["field.intervention.signature"].with_user(self.tech).search([]).mapped("signer_name")
        with self.assertRaises(AccessError):
            self.env["field.intervention.signature"].with_user(self.manager).create(
                {
                    "intervention_id": self.intervention.id,
                    "status": "signed",
                    "signer_name": "Forged",
                    "signer_role": "device",
                    "consent_text": "x",
                }
            )

    def test_billing_fields_still_writable(self):
        # non-content fields (e.g. chatter, activities, billing fields of other addons) still move
        self.intervention.with_user(self.manager).message_post(body="note")
        self.intervention.with_user(self.manager).activity_schedule(
            "mail.mail_activity_data_todo", user_id=self.manager.id
        )


@tagged("-at_install", "post_install")
class TestLockRpc(FiSignHttpCase):
    """The same lock through the JSON-RPC endpoint used by the web client and integrations."""

    def _call_kw(self, model, method, args, kwargs=None):
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        }
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
        )
        return response.json()

    def test_rpc_lock(self):
        self._sign()
        self.env.flush_all()
        part = self.intervention.part_ids
        calls = [
            ("field.intervention", "write", [[self.intervention.id], {"work_description": "changed by rpc"}]),
            (
                "field.intervention",
                "web_save",
                [[self.intervention.id], {"findings": "changed by rpc"}],
                {"specification": {}},
            ),
            ("field.intervention", "write", [[self.intervention.id], {"state": "done"}]),
            ("field.intervention", "unlink", [[self.intervention.id]]),
            ("field.intervention", "action_reopen", [[self.intervention.id]]),
            ("field.intervention.part", "write", [part.ids, {"quantity": 9}]),
            ("field.intervention.part", "unlink", [part.ids]),
        ]
        for login in ("fis_tech", "fis_manager"):
            self.authenticate(login, login)
            for model, method, args, *kwargs in calls:
                with self.subTest(login=login, method=method, args=str(args)[:60]), mute_logger("odoo.http"):
                    result = self._call_kw(model, method, args, *kwargs)
                    error = result["error"]["data"]
                    expected = {"odoo.exceptions.UserError", "odoo.exceptions.AccessError"}
                    self.assertIn(error["name"], expected, error["message"])
        self.intervention.invalidate_recordset()
        self.assertEqual(self.intervention.state, "signed")
        self.assertEqual(self.intervention.work_description, "Remplacement de la résistance du four.")
        self.assertEqual(part.quantity, 1.0)
        self.assertEqual(base64.b64decode(self.intervention.signature_id.signature)[:4], b"\x89PNG")
