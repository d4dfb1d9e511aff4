import base64
import hashlib
import json
from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged

from .common import FiMobileCase, make_photo_jpeg, phone_consent, phone_content, utc


@tagged("-at_install", "post_install")
class TestConflicts(FiMobileCase):
    def _one_segment_content(self, entry, start, stop, work):
        """The phone's content of a report with one time segment, a text and the checklist as
        downloaded: no part, no photo."""
        return phone_content(
            entry,
            times=[[utc(start), utc(stop)]],
            work=work,
            findings="",
            checklist=[[line["name"], line["result"], line["note"]] for line in entry["checklist"]],
            parts=[],
            photos=[],
        )

    def _offline_signature(self, intervention, entry, content, start, at=None):
        """The phone's ``sign`` operation of ``content`` (first start ``start``), at ``at``."""
        return self.op(
            intervention,
            "sign",
            at or self.ago(minutes=50),
            signer_name="Jeanne Durand",
            signature=self.signature_png,
            content=content,
            content_hash=hashlib.sha256(content.encode()).hexdigest(),
            consent_text=phone_consent(entry, start),
            # as the app sends a signature without position
            geo_consent=False,
            latitude=False,
            longitude=False,
        )

    def test_cancelled_by_the_office(self):
        intervention = self._intervention()
        intervention.with_user(self.manager).action_cancel()
        answer = self.sync(
            [
                self.op(intervention, "start", self.ago(minutes=30)),
                self.op(intervention, "set_text", self.ago(minutes=20), work_description="Fait"),
            ]
        )
        self.assertEqual(self.statuses(answer), ["conflict", "conflict"])
        self.assertIn("was cancelled by the office", answer["results"][0]["message"])
        self.assertEqual((intervention.state, intervention.work_description), ("cancel", False))
        self.assertEqual(self.ops_of(intervention).mapped("status"), ["conflict", "conflict"])
        self.assertEqual(self.entry(answer, intervention)["state"], "cancel")

    def test_no_longer_assigned(self):
        intervention = self._intervention()
        intervention.technician_ids = [Command.set(self.tech_other.ids)]
        answer = self.sync([self.op(intervention, "start", self.ago(minutes=30))])
        self.assertEqual(self.statuses(answer), ["conflict"])
        self.assertIn("is no longer assigned to you", answer["results"][0]["message"])
        self.assertEqual(answer["interventions_gone"], [intervention.id])
        self.assertEqual(intervention.state, "draft")

    def test_deleted_by_the_office(self):
        intervention = self._intervention()
        op = self.op(intervention, "start", self.ago(minutes=30))
        intervention.unlink()
        answer = self.sync([op])
        self.assertEqual(self.statuses(answer), ["conflict"])
        self.assertIn("no longer exists", answer["results"][0]["message"])
        stored = self.env["field.intervention.mobile.op"].search([("key", "=", op["key"])])
        self.assertEqual((stored.status, stored.payload["intervention_id"]), ("conflict", op["intervention_id"]))

    def test_another_technician_already_stopped(self):
        """The shared timer: the server's stop wins; the next timer steps of the batch are
        refused, the technician's entries are still recorded."""
        intervention = self._intervention(technicians=self.tech | self.tech_other)
        stopped_at = self.ago(hours=1)
        first = self.sync(
            [self.op(intervention, "start", self.ago(hours=2)), self.op(intervention, "stop", stopped_at)],
            user=self.tech_other,
        )
        self.assertEqual(self.statuses(first), ["ok", "ok"])
        answer = self.sync(
            [
                self.op(intervention, "stop", self.ago(minutes=30)),
                self.op(intervention, "set_text", self.ago(minutes=29), work_description="Vanne changée"),
                self.op(intervention, "done", self.ago(minutes=28)),
            ]
        )
        self.assertEqual(self.statuses(answer), ["conflict", "ok", "conflict"])
        self.assertIn("already stopped by Olga Autre", answer["results"][0]["message"])
        self.assertIn("the earlier step Stop", answer["results"][2]["message"])
        self.assertEqual(intervention.state, "in_progress")
        self.assertEqual(intervention.date_end, stopped_at.replace(microsecond=0))
        self.assertEqual(len(intervention.time_ids), 1)
        self.assertEqual(intervention.work_description, "Vanne changée")

    def test_already_started_by_another_technician(self):
        intervention = self._intervention(technicians=self.tech | self.tech_other)
        self.assertEqual(
            self.statuses(self.sync([self.op(intervention, "start", self.ago(hours=1))], user=self.tech_other)), ["ok"]
        )
        answer = self.sync(
            [
                self.op(intervention, "start", self.ago(minutes=50)),
                self.op(intervention, "pause", self.ago(minutes=40)),
            ]
        )
        self.assertEqual(self.statuses(answer), ["conflict", "conflict"])
        self.assertIn("already started by Olga Autre", answer["results"][0]["message"])
        self.assertEqual(intervention.timer_state, "running")

    def test_finished_by_another_technician(self):
        intervention = self._intervention(technicians=self.tech | self.tech_other, work_description="Réglage")
        intervention.time_ids = [Command.create({"date_start": self.ago(hours=3), "date_end": self.ago(hours=2)})]
        intervention.with_user(self.tech_other).action_done()
        answer = self.sync(
            [
                self.op(intervention, "add_part", self.ago(minutes=10), product_id=self.part_a.id, quantity=1),
                self.op(intervention, "done", self.ago(minutes=9)),
            ]
        )
        self.assertEqual(self.statuses(answer), ["conflict", "ok"])
        self.assertIn("is already Done", answer["results"][0]["message"])
        self.assertIn("already done", answer["results"][1]["message"])
        self.assertFalse(intervention.part_ids)

    def test_office_changed_the_text(self):
        """The phone wins; the office's text is kept in the chatter, once."""
        intervention = self._intervention(work_description="Texte du bureau")
        answer = self.sync(
            [
                self.op(intervention, "set_text", self.ago(minutes=30), work_description="Texte du téléphone"),
                self.op(intervention, "set_text", self.ago(minutes=20), work_description="Texte du téléphone, suite"),
            ]
        )
        self.assertEqual(self.statuses(answer), ["ok", "ok"])
        self.assertIn("the previous text is kept in the intervention's chatter", answer["results"][0]["message"])
        self.assertFalse(answer["results"][1]["message"], "the technician's own text replaced: nothing to keep")
        self.assertEqual(intervention.work_description, "Texte du téléphone, suite")
        notes = intervention.message_ids.filtered(lambda m: "Previous text" in (m.body or ""))
        self.assertEqual(len(notes), 1)
        self.assertIn("Texte du bureau", notes.body)
        self.assertEqual(notes.author_id, self.tech.partner_id)

    def test_signature_on_a_changed_report(self):
        """The office added a part while the customer signed offline: the signature is a
        conflict, kept with its image; the operations before it are applied."""
        intervention = self._intervention(work_description="Nettoyage")
        entry = self.entry(self.day(), intervention)
        start, stop = self.ago(hours=2), self.ago(hours=1)
        content = self._one_segment_content(entry, start, stop, "Nettoyage")
        self.env["field.intervention.part"].create(
            {"intervention_id": intervention.id, "product_id": self.part_b.id, "quantity": 1}
        )
        sign = self._offline_signature(intervention, entry, content, start)
        answer = self.sync(
            [
                self.op(intervention, "start", start),
                self.op(intervention, "stop", stop),
                self.op(intervention, "done", stop),
                sign,
            ]
        )
        self.assertEqual(self.statuses(answer), ["ok", "ok", "ok", "conflict"])
        self.assertIn("differs from what the customer signed on the phone (parts)", answer["results"][3]["message"])
        self.assertEqual(intervention.state, "done")
        self.assertFalse(intervention.sudo().signature_ids)
        stored = self.env["field.intervention.mobile.op"].search([("key", "=", sign["key"])])
        self.assertEqual(stored.payload["payload"]["signature"], self.signature_png)

    def test_signature_covers_technicians_and_travel(self):
        """Issue 20: the phone showed one technician and no travel; the office added a colleague
        and 180 km before the sync. The customer did not sign that: conflict, not billed."""
        intervention = self._intervention(work_description="Nettoyage")
        entry = self.entry(self.day(), intervention)
        self.assertEqual(json.loads(entry["content"])["technicians"], [self.tech.name])
        start, stop = self.ago(hours=2), self.ago(hours=1)
        content = self._one_segment_content(entry, start, stop, "Nettoyage")
        intervention.with_user(self.manager).write(
            {"technician_ids": [Command.link(self.tech_other.id)], "travel_distance": 180.0, "travel_duration": 2.0}
        )
        answer = self.sync(
            [
                self.op(intervention, "start", start),
                self.op(intervention, "stop", stop),
                self.op(intervention, "done", stop),
                self._offline_signature(intervention, entry, content, start),
            ]
        )
        self.assertEqual(self.statuses(answer), ["ok", "ok", "ok", "conflict"])
        self.assertIn("(technicians, travel)", answer["results"][3]["message"])
        self.assertEqual(intervention.state, "done")
        self.assertFalse(intervention.sudo().signature_ids)
        # signed again on what the phone now shows (the answer's content): recorded, and the
        # evidence is that very content
        entry = self.entry(answer, intervention)
        content = self._one_segment_content(entry, start, stop, "Nettoyage")
        self.assertEqual(content, entry["content"])
        answer = self.sync([self._offline_signature(intervention, entry, content, start)])
        self.assertEqual(self.statuses(answer), ["ok"])
        evidence = intervention.sudo().signature_id
        self.assertEqual((evidence.content_canonical, evidence.mobile_content), (content, content))
        self.assertEqual(evidence._fi_signed_billables()["technicians"], 2)

    def test_replaced_photo_is_not_the_signed_one(self):
        """A photo sent by the phone is known by the hash of the bytes sent while it is that
        photo: its image replaced at the office, the content names the new image."""
        intervention = self._intervention()
        answer = self.sync(
            [self.op(intervention, "add_photo", self.ago(minutes=30), name="Avant", image=self.b64(self.photo))]
        )
        photo_hash = json.loads(self.entry(answer, intervention)["content"])["photos"][0][0]
        self.assertEqual(photo_hash, hashlib.sha256(self.photo).hexdigest())
        photo = intervention.photo_ids
        other = make_photo_jpeg(color=(10, 200, 10))
        photo.with_user(self.manager).image = base64.b64encode(other)
        content = json.loads(intervention._fi_get_canonical_content())
        self.assertEqual(content["photos"], [[hashlib.sha256(base64.b64decode(photo.image)).hexdigest(), "Avant"]])
        self.assertFalse(photo.source_sha256)

    def test_signature_with_inconsistent_hash(self):
        intervention = self._intervention()
        answer = self.sync(
            [
                self.op(
                    intervention,
                    "sign",
                    self.ago(minutes=5),
                    signer_name="X",
                    signature=self.signature_png,
                    content="{}",
                    content_hash="0" * 64,
                )
            ]
        )
        self.assertEqual(self.statuses(answer), ["error"])
        self.assertIn("does not match its hash", answer["results"][0]["message"])

    def test_implausible_phone_times(self):
        """A phone clock ahead of the server, or behind the previous step: the server's time."""
        intervention = self._intervention()
        answer = self.sync(
            [
                self.op(intervention, "start", fields.Datetime.now() + timedelta(days=1)),
                self.op(intervention, "pause", self.ago(days=1)),
            ]
        )
        self.assertEqual(self.statuses(answer), ["ok", "ok"])
        for result in answer["results"]:
            self.assertIn("the server's time", result["message"])
        segment = intervention.time_ids
        self.assertLess(abs((segment.date_start - fields.Datetime.now()).total_seconds()), 120)
        self.assertGreaterEqual(segment.date_end, segment.date_start)
        # a phone a few minutes ahead is believed
        ahead = fields.Datetime.now() + timedelta(minutes=3)
        answer = self.sync([self.op(intervention, "resume", ahead)])
        self.assertEqual(self.statuses(answer), ["ok"])
        self.assertFalse(answer["results"][0]["message"])
        self.assertEqual(intervention.time_ids.sorted("date_start")[-1].date_start, ahead.replace(microsecond=0))

    def test_one_phone_window(self):
        """One window judges the phone's times (not before the intervention existed, not after
        the server received them, 5 minutes of clock difference each way): a start outside it
        takes the server's time; a signature whose phone time is outside it is recorded (the
        customer signed) and its evidence says the phone time is not plausible."""
        intervention = self._intervention()
        created = intervention.create_date
        answer = self.sync([self.op(intervention, "start", created - timedelta(minutes=10))])
        self.assertEqual(self.statuses(answer), ["ok"])
        self.assertIn("before the intervention existed", answer["results"][0]["message"])
        self.assertLess(abs((intervention.time_ids.date_start - fields.Datetime.now()).total_seconds()), 120)
        within_skew = self._intervention()
        start = within_skew.create_date - timedelta(minutes=4)
        answer = self.sync([self.op(within_skew, "start", start)])
        self.assertEqual((self.statuses(answer), answer["results"][0]["message"]), (["ok"], ""))
        self.assertEqual(within_skew.time_ids.date_start, start.replace(microsecond=0))

        intervention = self._intervention(work_description="Détartrage")
        entry = self.entry(self.day(), intervention)
        start, stop = self.ago(hours=2), self.ago(hours=1)
        content = self._one_segment_content(entry, start, stop, "Détartrage")
        signed_at = fields.Datetime.now() + timedelta(hours=6)  # a phone clock six hours ahead
        answer = self.sync(
            [
                self.op(intervention, "start", start),
                self.op(intervention, "stop", stop),
                self._offline_signature(intervention, entry, content, start, at=signed_at),
            ]
        )
        self.assertEqual(self.statuses(answer), ["ok", "ok", "ok"], answer["results"])
        self.assertIn("is not plausible", answer["results"][2]["message"])
        signature = intervention.sudo().signature_id
        self.assertEqual(signature.mobile_phone_time, signed_at.replace(microsecond=0))
        self.assertTrue(signature.mobile_phone_time_implausible)
        line = dict(signature._get_evidence_lines())["Phone time (UTC)"]
        self.assertEqual(
            line,
            f"{signature.mobile_phone_time} UTC, not plausible: before the report existed or after the server "
            "received it",
        )

    def test_remove_part_of_a_refused_addition(self):
        intervention = self._intervention()
        add = self.op(intervention, "add_part", self.ago(minutes=5), product_id=self.part_a.id, quantity=0)
        answer = self.sync([add, self.op(intervention, "remove_part", self.ago(minutes=4), part_key=add["key"])])
        self.assertEqual(self.statuses(answer), ["error", "conflict"])
        self.assertIn("never added", answer["results"][1]["message"])

    def test_checklist_item_removed_by_the_office(self):
        intervention = self._intervention()
        line = intervention.checklist_line_ids[0]
        line.unlink()
        answer = self.sync(
            [self.op(intervention, "set_checklist", self.ago(minutes=5), line_id=line.id, result="done", note="")]
        )
        self.assertEqual(self.statuses(answer), ["conflict"])
        self.assertIn("was removed", answer["results"][0]["message"])

    def test_signature_marks_done_first(self):
        """A signature sent after the stop, without Done: the report is marked done (with the
        checks of the button), then signed."""
        intervention = self._intervention(work_description="Purge des radiateurs")
        entry = self.entry(self.day(), intervention)
        start, stop = self.ago(hours=2), self.ago(hours=1)
        content = self._one_segment_content(entry, start, stop, "Purge des radiateurs")
        answer = self.sync(
            [
                self.op(intervention, "start", start),
                self.op(intervention, "stop", stop),
                self._offline_signature(intervention, entry, content, start, at=self.ago(minutes=55)),
            ]
        )
        self.assertEqual(self.statuses(answer), ["ok", "ok", "ok"], answer["results"])
        self.assertEqual(intervention.state, "signed")
        self.assertTrue(intervention.sudo().signature_id.mobile_offline)
