"""--target warns, as Terraform does, that the run leaves other pending changes out."""

from __future__ import annotations

from tests.commands.dialects import BY_NAME


def _two_buckets(project, emulated):  # type: ignore[no-untyped-def]
    qs = BY_NAME["qs"]
    for name in ("a", "b"):
        qs.create(emulated, name)
    project.configure({"qs": qs.provider(emulated)}, [qs.bucket("a", qs.rule), qs.bucket("b", qs.rule)])
    return qs


def test_plan_with_a_target_warns_what_it_leaves_out(project, emulated):
    _two_buckets(project, emulated)
    result = project.cli("plan", "--target", "qs/a")
    assert result.code == 0, result.output
    assert (
        "Warning: --target is in effect; it leaves out 1 other bucket (not read): this plan may not show" in result.err
    )
    assert "--target" not in result.out  # stdout stays the plan


def test_apply_of_a_targeted_saved_plan_warns_too(project, emulated, tmp_path):
    qs = _two_buckets(project, emulated)
    planfile = str(tmp_path / "p.json")
    assert project.cli("plan", "--target", f"qs/a/{qs.rule['id']}", "--out", planfile).code == 0
    result = project.cli("apply", planfile)
    assert result.code == 0, result.output
    assert "the changes applied may be incomplete" in result.err
    assert "1 other bucket (not read)" in result.err
    assert qs.ids(emulated, "a") == [qs.rule["id"]] and qs.ids(emulated, "b") == []  # left out: not written


def test_no_warning_without_a_target(project, emulated):
    _two_buckets(project, emulated)
    result = project.cli("drift")
    assert "--target is in effect" not in result.err
    result = project.cli("drift", "--target", "qs/b")
    assert "this report may not show all drift" in result.err
