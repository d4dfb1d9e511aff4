import hashlib
import json

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import FiMobileCase

OP_LOGGER = "odoo.addons.field_intervention_mobile.models.field_intervention_mobile_op"


@tagged("-at_install", "post_install")
class TestSyncRefusals(FiMobileCase):
    """What the sync answers and keeps for an operation it refuses: nothing of another's
    intervention, a bounded trace of a malformed operation, a clear reason for a bad number."""

    def assertNotNamed(self, intervention, *texts):
        self.assertTrue(intervention.name)
        for text in texts:
            self.assertNotIn(intervention.name, text)

    def test_foreign_intervention_not_named(self):
        """An operation on another technician's intervention (never his, or no longer) answers
        the same clear message, without its number; the office keeps the link, the technician
        cannot read it through his own operations, nor through the replay."""
        theirs = self._intervention(technicians=self.tech_other)
        reassigned = self._intervention()
        reassigned.technician_ids = [Command.set(self.tech_other.ids)]
        ops = [
            self.op(theirs, "start", self.ago(minutes=30)),
            self.op(theirs, "set_text", self.ago(minutes=20), work_description="Intrus"),
            self.op(reassigned, "start", self.ago(minutes=10)),
        ]
        answer = self.sync(ops)
        self.assertEqual(self.statuses(answer), ["conflict"] * 3)
        for result in answer["results"]:
            self.assertIn("This intervention is no longer assigned to you", result["message"])
        self.assertNotNamed(theirs, json.dumps(answer))
        self.assertNotNamed(reassigned, json.dumps(answer))
        replay = self.sync(ops[:1])
        self.assertEqual(self.statuses(replay), ["duplicate"])
        self.assertNotNamed(theirs, json.dumps(replay))

        Op = self.env["field.intervention.mobile.op"]
        stored = Op.search([("key", "=", ops[0]["key"])])
        self.assertEqual(stored.intervention_id, theirs, "the office keeps the intervention the phone named")
        self.assertNotNamed(theirs, stored.message)
        mine = Op.with_user(self.tech).search([("key", "in", [op["key"] for op in ops])])
        self.assertEqual(mine, Op.search([("key", "in", [op["key"] for op in ops])]))
        self.assertNotNamed(theirs, json.dumps(mine.search_read([]), default=str))
        self.assertNotNamed(theirs, json.dumps(mine.web_search_read([], {"display_name": {}})["records"]))
        for spec in ({"intervention_id": {}}, {"intervention_id": {"fields": {"display_name": {}}}}):
            with self.subTest(spec=spec), self.assertRaises(AccessError):
                mine.web_read(spec)
        with self.assertRaises(AccessError):
            mine.read(["intervention_id"])
        with self.assertRaises(AccessError):
            mine.read(["company_id"])
        self.assertEqual(len(Op.with_user(self.manager).search([("intervention_id", "=", theirs.id)])), 2)

    def test_malformed_operation_kept_small(self):
        """A malformed operation of megabytes is kept as a summary of a few KiB (an error kept
        forever); a well-formed one is kept whole for the office."""
        intervention = self._intervention()
        at = self.ago(minutes=10)
        big = "A" * 2_000_000
        work = "Résistance remplacée. " * 4000
        ops = [
            self.op(intervention, "add_photo", at, name="x", image="!" + big),  # not base64
            {**self.op(intervention, "start", at), "key": "bad", "junk": big},  # no valid key
            self.op(intervention, "fly", at, **{f"k{i}": {f"j{j}": "y" * 150 for j in range(40)} for i in range(40)}),
            ["not", "an", "object", big],
            self.op(intervention, "set_text", at, work_description=work),
        ]
        answer = self.sync(ops)
        self.assertEqual(self.statuses(answer), ["error"] * 4 + ["ok"], answer["results"])
        stored = self.env["field.intervention.mobile.op"].search([("user_id", "=", self.tech.id)], order="id")
        self.assertEqual(len(stored), len(ops), "every operation received is kept")
        for op in stored[:4]:
            with self.subTest(op=op.op_type):
                self.assertLessEqual(len(json.dumps(op.payload, ensure_ascii=False)), 4096)
        self.assertEqual(stored[0].payload["payload"]["image"], "<2000001 characters>")
        self.assertEqual(stored[0].payload["key"], ops[0]["key"])
        self.assertEqual(stored[1].payload["junk"], "<2000000 characters>")
        self.assertIn("truncated", stored[2].payload)
        self.assertEqual(stored[3].payload[:3], ["not", "an", "object"])
        self.assertEqual(stored[4].payload, {"owner": self.tech.id, **ops[4]}, "a well-formed operation is kept whole")
        self.assertEqual(intervention.work_description, work)

    def test_numbers_not_finite_or_absurd(self):
        """A NaN, an infinity, a zero, a negative or an absurd quantity, a location out of the
        globe: refused as malformed with their reason, no traceback; the queue goes on."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.tech.lang = "fr_FR"
        intervention = self._intervention()
        at = self.ago(minutes=10)
        content = json.dumps({"format": "fi-mobile-1"})
        sign = {
            "signer_name": "Paul Durand",
            "signature": self.signature_png,
            "content": content,
            "content_hash": hashlib.sha256(content.encode()).hexdigest(),
            "consent_text": "Bon pour accord.",
            "geo_consent": True,
        }
        part = self.part_a.id
        quantities = [float("nan"), "nan", float("inf"), "-inf", "1e400", 0, -2, 1e-9, 10**7, 10**400, True, None]
        ops = [self.op(intervention, "add_part", at, product_id=part, quantity=quantity) for quantity in quantities]
        ops += [
            self.op(intervention, "add_part", at, product_id=True, quantity=1),
            self.op(intervention, "add_part", at, product_id=2**40, quantity=1),
            self.op(intervention, "add_part", at, product_id=part, quantity=1, note=float("nan")),
            self.op(intervention, "sign", at, **sign, latitude=float("nan"), longitude=4.8),
            self.op(intervention, "sign", at, **sign, latitude=91.0, longitude=4.8),
            self.op(intervention, "sign", at, **sign, latitude=45.7, longitude=float("-inf")),
            self.op(intervention, "sign", at, **sign, latitude=True, longitude=4.8),
            {**self.op(intervention, "start", at), "intervention_id": 10**30},
            self.op(intervention, "add_part", at, product_id=self.part_b.id, quantity="2.5"),
        ]
        with self.assertNoLogs(OP_LOGGER, "ERROR"):
            answer = self.sync(ops)
        results = answer["results"]
        self.assertEqual(self.statuses(answer), ["error"] * (len(ops) - 1) + ["ok"], results)
        for result in results[:-1]:
            self.assertIn("L'opération envoyée par le téléphone est malformée", result["message"])
        for result in results[: len(quantities)]:
            if "NaN" not in result["message"]:
                self.assertIn("la quantité doit être un nombre supérieur à zéro, au plus 1000000", result["message"])
        for index in (0, 2, 14, 15, 17):
            self.assertIn("un nombre vaut NaN ou l'infini", results[index]["message"])
        for index in (12, 13):
            self.assertIn("produit non valide", results[index]["message"])
        for index in (16, 18):
            self.assertIn("position non valide", results[index]["message"])
        self.assertIn("aucune intervention", results[19]["message"])
        self.assertEqual([(p.product_id, p.quantity) for p in intervention.part_ids], [(self.part_b, 2.5)])
        self.assertEqual(intervention.state, "draft")
        stored = self.env["field.intervention.mobile.op"].search([("key", "=", ops[0]["key"])])
        self.assertEqual(stored.payload["payload"]["quantity"], "nan")

    def test_archived_or_unsold_product_refused(self):
        """A product archived (or no longer sold) after the phone's download is no part: refused
        with the reason, nothing added."""
        intervention = self._intervention()
        self.part_a.active = False
        self.part_b.sale_ok = False
        at = self.ago(minutes=10)
        answer = self.sync(
            [
                self.op(intervention, "add_part", at, product_id=self.part_a.id, quantity=1),
                self.op(intervention, "add_part", at, product_id=self.part_b.id, quantity=1),
            ]
        )
        self.assertEqual(self.statuses(answer), ["error", "error"])
        for result in answer["results"]:
            self.assertIn("can no longer be used as a part", result["message"])
        self.assertFalse(intervention.part_ids)
