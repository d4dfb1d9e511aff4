"""The repository itself: addons are well-formed, complete, secured and translated."""

import ast
import csv
import re

import pytest

from .conftest import ADDONS, ROOT

VERSION = re.compile(r"^18\.0\.\d+\.\d+\.\d+$")
DATA_DIRS = ("security", "data", "views", "report", "wizards", "wizard", "demo")


def concrete_models(path):
    """Names of the models with records (not abstract) that a Python file defines."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ClassDef):
            continue
        bases = {ast.unparse(base) for base in node.bases}
        if not bases & {"models.Model", "models.TransientModel"}:
            continue
        assigned = {
            ast.unparse(statement.targets[0]): ast.literal_eval(statement.value)
            for statement in node.body
            if isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and ast.unparse(statement.targets[0]) in ("_name", "_inherit")
        }
        inherited = assigned.get("_inherit") or []
        inherited = [inherited] if isinstance(inherited, str) else inherited
        # "_name" repeated with a mixin in "_inherit" extends an existing model: not a new one
        if isinstance(assigned.get("_name"), str) and assigned["_name"] not in inherited:
            yield assigned["_name"]


def manifest(addon):
    return ast.literal_eval((ROOT / addon / "__manifest__.py").read_text(encoding="utf-8"))


@pytest.mark.parametrize("addon", ADDONS)
def test_manifest(addon):
    values = manifest(addon)
    assert VERSION.match(values["version"]), values["version"]
    assert values["license"] in {"LGPL-3", "AGPL-3"}
    assert values["installable"] is True
    assert values.get("author")


@pytest.mark.parametrize("addon", ADDONS)
def test_every_data_file_exists_and_is_listed(addon):
    values = manifest(addon)
    listed = set(values.get("data", [])) | set(values.get("demo", []))
    for path in listed:
        assert (ROOT / addon / path).is_file(), f"{addon}: {path} is listed but missing"
    on_disk = {
        str(path.relative_to(ROOT / addon))
        for folder in DATA_DIRS
        for path in (ROOT / addon / folder).glob("*")
        if path.suffix in {".xml", ".csv"}
    }
    assert on_disk - listed == set(), f"{addon}: data files not in the manifest"


@pytest.mark.parametrize("addon", ADDONS)
def test_every_model_has_an_access_rule(addon):
    models = set()
    for path in (ROOT / addon).rglob("*.py"):
        if "tests" not in path.parts:
            models.update(concrete_models(path))
    access_file = ROOT / addon / "security" / "ir.model.access.csv"
    rows = list(csv.DictReader(access_file.open(encoding="utf-8"))) if access_file.exists() else []
    covered = {row["model_id:id"].split(".")[-1] for row in rows}
    missing = {name for name in models if "model_" + name.replace(".", "_") not in covered}
    # Abstract models and SQL views without a table of records to protect need no rule.
    missing = {name for name in missing if not name.startswith("report.")}
    assert not missing, f"{addon}: models without access rule: {sorted(missing)}"


@pytest.mark.parametrize("addon", ADDONS)
def test_french_translation_is_complete(addon):
    po = ROOT / addon / "i18n" / "fr.po"
    pot = ROOT / addon / "i18n" / f"{addon}.pot"
    assert pot.is_file() and po.is_file()
    # an entry whose msgstr "" has no continuation line is untranslated (but the header)
    text = po.read_text(encoding="utf-8")
    entries = re.split(r"\n\s*\n", text.strip())
    untranslated = [
        e
        for e in entries[1:]
        if re.search(r'^msgstr ""\s*$', e, re.MULTILINE) and not re.search(r'^"', e.split("msgstr", 1)[1], re.MULTILINE)
    ]
    assert not untranslated, f"{addon}: {len(untranslated)} untranslated entries, first: {untranslated[:1]}"


@pytest.mark.parametrize("addon", ADDONS)
def test_addon_is_pip_installable(addon):
    pyproject = (ROOT / addon / "pyproject.toml").read_text(encoding="utf-8")
    assert 'build-backend = "whool.buildapi"' in pyproject
    for name in ("DESCRIPTION.md", "USAGE.md", "CONTRIBUTORS.md"):
        assert (ROOT / addon / "readme" / name).is_file(), f"{addon}: readme/{name} missing"


def test_metapackage_lists_the_suite():
    text = (ROOT / "setup" / "_metapackage" / "pyproject.toml").read_text(encoding="utf-8")
    for addon in ADDONS:
        assert f"odoo-addon-{addon}==18.0.*" in text
