"""Red team of the ownership promise (issue 9 follow-up): multi-step sequences of edits, imports,
renames, endpoint changes and aliases, each checking through the emulator's admin API that a live
rule reconciler did not create is never changed or deleted unless the user said so explicitly."""

from __future__ import annotations

import json
from typing import Any

from reconciler.cli import main
from reconciler.state.model import BucketIdentity
from tests.support.cli_workspace import Result, Workspace


def qs(rule_id: str, url: str = "https://hooks.example.com/a") -> dict[str, Any]:
    return {"id": rule_id, "event_types": ["create_object"], "cloudfunc": "notifier", "notify_url": url}


FOREIGN = qs("theirs", "https://other-team.example.org/")


def live(ws: Workspace, bucket: str = "photos") -> list[dict[str, Any]]:
    return list(ws.live("qs", bucket).get("notifications", []))


def live_ids(ws: Workspace, bucket: str = "photos") -> list[str]:
    return [rule["id"] for rule in live(ws, bucket)]


def state_cmd(ws: Workspace, *argv: str) -> Result:
    ws.capsys.readouterr()
    code = main(["state", argv[0], "--state", str(ws.state), *argv[1:]])
    captured = ws.capsys.readouterr()
    return Result(code, captured.out, captured.err)


def write(ws: Workspace, buckets: list[dict[str, Any]], **providers: dict[str, Any]) -> None:
    """The configuration, with extra providers (or overrides of the workspace's, None removing a key) merged in."""
    path = ws.write("b.yaml", buckets=buckets)
    document = json.loads(path.read_text())
    for name, settings in providers.items():
        merged = {**document["providers"].get(name, {}), **settings}
        document["providers"][name] = {key: value for key, value in merged.items() if value is not None}
    path.write_text(json.dumps(document))


def applied(ws: Workspace, *rules: dict[str, Any]) -> None:
    """qs/photos holds FOREIGN (live, someone else's) and `rules` applied by reconciler."""
    ws.create("qs", "photos", {"notifications": [FOREIGN]})
    write(ws, [ws.bucket("qs", "photos", *rules)])
    result = ws.cli("apply", "--auto-approve")
    assert result.code == 0, result.out + result.err


def foreign_untouched(ws: Workspace) -> None:
    assert FOREIGN in live(ws), live(ws)


# --- adoption, import, release --------------------------------------------------------------------


def test_adopted_then_dropped_is_deleted_and_the_plan_says_it_was_adopted(ws: Workspace) -> None:
    ws.create("qs", "photos", {"notifications": [FOREIGN, qs("legacy")]})
    write(ws, [{**ws.bucket("qs", "photos", qs("legacy")), "adopt": ["legacy"]}])
    assert ws.cli("apply", "--auto-approve").code == 0
    write(ws, [ws.bucket("qs", "photos")])
    planned = ws.cli("plan")
    assert '- rule "legacy" will be deleted' in planned.out, planned.out
    assert ws.cli("apply", "--auto-approve").code == 0
    assert live_ids(ws) == ["theirs"]


def test_import_then_state_rm_then_redeclare_needs_adoption_again(ws: Workspace) -> None:
    ws.create("qs", "photos", {"notifications": [FOREIGN]})
    write(ws, [])
    assert ws.cli("import", "qs/photos/theirs").code == 0
    assert state_cmd(ws, "rm", "qs/photos/theirs").code == 0
    write(ws, [ws.bucket("qs", "photos", qs("theirs", "https://mine.example.com/"))])
    planned = ws.cli("plan")
    assert planned.code == 1 and "theirs exists live but is not managed by reconciler" in planned.err
    assert ws.cli("apply", "--auto-approve").code == 1
    foreign_untouched(ws)


def test_released_then_redeclared_is_foreign_again(ws: Workspace) -> None:
    applied(ws, qs("mine"))
    path = ws.write("b.yaml", buckets=[ws.bucket("qs", "photos")])
    document = json.loads(path.read_text())
    path.write_text(json.dumps({**document, "released": ["qs/photos/mine"]}))
    assert ws.cli("apply", "--auto-approve").code == 0
    assert live_ids(ws) == ["theirs", "mine"]
    write(ws, [ws.bucket("qs", "photos", qs("mine", "https://changed.example.com/"))])
    planned = ws.cli("plan")
    assert planned.code == 1 and "mine exists live but is not managed by reconciler" in planned.err
    assert ws.cli("apply", "--auto-approve").code == 1
    assert live(ws)[1] == qs("mine")


# --- state mv --------------------------------------------------------------------------------------


def test_state_mv_of_a_rule_onto_an_id_a_foreign_rule_had_at_apply_is_refused(ws: Workspace) -> None:
    applied(ws, qs("mine"))
    moved = state_cmd(ws, "mv", "qs/photos/mine", "qs/photos/theirs")
    assert moved.code == 1 and "qs/photos/theirs is the id of a live rule reconciler does not manage" in moved.err
    assert "nothing was moved" in moved.err


def test_state_mv_of_a_rule_onto_an_id_a_foreign_rule_took_since_refuses_the_bucket(ws: Workspace) -> None:
    ws.create("qs", "photos")
    write(ws, [ws.bucket("qs", "photos", qs("mine"))])
    assert ws.cli("apply", "--auto-approve").code == 0
    assert state_cmd(ws, "mv", "qs/photos/mine", "qs/photos/theirs").code == 0
    ws.put_live("qs", "photos", {"notifications": [FOREIGN, qs("mine")]})  # another team, meanwhile
    write(ws, [ws.bucket("qs", "photos", qs("theirs", "https://mine.example.com/"))])
    planned = ws.cli("plan")
    assert planned.code == 1, planned.out
    assert "`state mv` gave a rule an id that another live rule already holds" in planned.err
    assert "reconciler state mv qs/photos/theirs qs/photos/mine" in planned.err
    assert ws.cli("apply", "--auto-approve").code == 1
    assert live(ws) == [FOREIGN, qs("mine")]
    # moved back, the rule is ours again under its live id and the foreign rule stays untouched
    assert state_cmd(ws, "mv", "qs/photos/theirs", "qs/photos/mine").code == 0
    write(ws, [ws.bucket("qs", "photos", qs("mine"))])
    assert ws.cli("plan", "--detailed-exitcode").code == 0


def test_state_mv_provider_onto_a_provider_at_another_endpoint_is_an_identity_change(ws: Workspace) -> None:
    applied(ws, qs("mine"))
    other = ws.emulator.url.replace("127.0.0.1", "localhost")
    assert state_cmd(ws, "mv", "qs", "q2").code == 0
    write(ws, [ws.bucket("q2", "photos")], q2={"type": "qingstor", "zone": "pek3b", "endpoint": other})
    planned = ws.cli("plan")
    assert planned.code == 0, planned.out + planned.err
    assert "identity changed since the last apply" in planned.out and "will be deleted" not in planned.out
    assert ws.cli("apply", "--auto-approve").code == 0
    assert live_ids(ws) == ["theirs", "mine"]


def test_provider_renamed_in_config_without_state_mv_deletes_nothing_and_says_state_mv(ws: Workspace) -> None:
    applied(ws, qs("mine"))
    write(ws, [ws.bucket("q2", "photos", qs("mine"))], q2=ws.providers()["qs"])  # qs still configured
    planned = ws.cli("plan")
    assert planned.code == 1 and "will be deleted" not in planned.out, planned.out
    hint = "run `reconciler state mv qs/photos q2/photos` to keep managing them"
    assert "the state records the bucket as qs/photos" in planned.err and hint in planned.err
    assert "q2/photos: rule mine exists live but is not managed" in planned.err  # with the same hint
    assert planned.err.count(hint) == 2
    assert ws.cli("apply", "--auto-approve").code == 1
    assert live(ws) == [FOREIGN, qs("mine")]

    # the provider renamed outright: the recorded identity still finds the twin
    path = ws.write("b.yaml", buckets=[ws.bucket("q2", "photos", qs("mine"))])
    document = json.loads(path.read_text())
    document["providers"]["q2"] = document["providers"].pop("qs")
    path.write_text(json.dumps(document))
    planned = ws.cli("plan")
    assert planned.code == 1 and planned.err.count(hint) == 2, planned.err

    assert state_cmd(ws, "mv", "qs", "q2").code == 0
    assert ws.cli("plan", "--detailed-exitcode").code == 0
    assert live(ws) == [FOREIGN, qs("mine")]


def test_bucket_moved_to_another_provider_entry_with_the_same_endpoint_deletes_nothing(ws: Workspace) -> None:
    applied(ws, qs("mine"))
    write(ws, [ws.bucket("q2", "photos")], q2=ws.providers()["qs"])
    planned = ws.cli("plan")
    assert planned.code == 1 and "will be deleted" not in planned.out
    assert "run `reconciler state mv qs/photos q2/photos`" in planned.err
    assert ws.cli("apply", "--auto-approve").code == 1
    assert live(ws) == [FOREIGN, qs("mine")]
    # told explicitly: forgotten, kept live
    assert state_cmd(ws, "rm", "qs/photos").code == 0
    assert ws.cli("apply", "--auto-approve").code == 0
    assert live(ws) == [FOREIGN, qs("mine")]


# --- endpoints spelled differently ------------------------------------------------------------------


def spellings(url: str) -> list[str]:
    host_port = url.split("://", 1)[1].rstrip("/")
    return [url.rstrip("/") + "/", url.upper().replace("HTTP://", "http://"), "https://" + host_port]


def test_endpoint_spelled_differently_is_an_alias(ws: Workspace) -> None:
    ws.create("qs", "photos")
    for spelled in spellings(ws.emulator.url):
        write(ws, [ws.bucket("qs", "photos"), ws.bucket("q2", "photos", ownership="exclusive")],
              q2={"type": "qingstor", "zone": "pek3b", "endpoint": spelled})
        result = ws.cli("validate")
        assert result.code == 1, (spelled, result.out + result.err)
        assert "bucket q2/photos is the same bucket as qs/photos" in result.err + result.out, result.out + result.err


def test_endpoint_spelled_differently_is_the_same_identity(ws: Workspace) -> None:
    applied(ws, qs("mine"))
    for spelled in spellings(ws.emulator.url)[:2]:
        write(ws, [ws.bucket("qs", "photos", qs("mine"))], qs={"endpoint": spelled})
        planned = ws.cli("plan", "--detailed-exitcode")
        assert planned.code == 0, (spelled, planned.out + planned.err)
    # https to the same host is the same bucket (the emulator speaks http only: checked on the record)
    identity = json.loads(ws.state.read_text())["buckets"]["qs/photos"]["identity"]
    recorded = BucketIdentity.model_validate(identity)
    https = "https://" + identity["endpoint"].split("://")[1]
    assert recorded.differences(recorded.model_copy(update={"endpoint": https})) == []
    assert recorded.differences(recorded.model_copy(update={"endpoint": "http://elsewhere:9000"})) != []


# --- identity changes combined with exclusive and --target ---------------------------------------------


def _elsewhere(ws: Workspace) -> str:
    """The same emulator under another host name: to reconciler another store until confirmed."""
    return ws.emulator.url.replace("127.0.0.1", "localhost")


def test_exclusive_after_an_identity_change_removes_nothing_until_confirmed(ws: Workspace) -> None:
    applied(ws, qs("mine"))
    write(ws, [ws.bucket("qs", "photos", qs("mine"), ownership="exclusive")], qs={"endpoint": _elsewhere(ws)})
    planned = ws.cli("plan")
    assert "identity changed since the last apply" in planned.out + planned.err
    ws.cli("apply", "--auto-approve")
    foreign_untouched(ws)
    assert live_ids(ws) == ["theirs", "mine"]


def test_target_with_an_identity_change_deletes_nothing(ws: Workspace) -> None:
    applied(ws, qs("mine"), qs("gone", "https://hooks.example.com/g"))
    write(ws, [ws.bucket("qs", "photos", qs("mine"))], qs={"endpoint": _elsewhere(ws)})
    for target in ("qs/photos", "qs/photos/gone"):
        planned = ws.cli("plan", "--target", target)
        assert "will be deleted" not in planned.out, planned.out
        ws.cli("apply", "--auto-approve", "--target", target)
        foreign_untouched(ws)
        assert "gone" in live_ids(ws)


# --- saved plans overtaken by live edits or state commands -------------------------------------------


def test_saved_plan_applied_after_a_foreign_rule_took_a_managed_id_writes_nothing(ws: Workspace) -> None:
    applied(ws, qs("mine"))
    write(ws, [ws.bucket("qs", "photos", qs("mine", "https://new.example.com/"))])
    saved = ws.root / "p.plan"
    assert ws.cli("plan", "--out", str(saved)).code == 0
    intruder = qs("mine", "https://intruder.example.org/")
    ws.put_live("qs", "photos", {"notifications": [FOREIGN, qs("mine"), intruder]})
    result = ws.cli("apply", str(saved))
    assert result.code != 0 and "changed since the plan" in result.out + result.err
    assert live(ws) == [FOREIGN, qs("mine"), intruder]
    replanned = ws.cli("plan")
    assert replanned.code == 1 and "more than one rule with the same managed id" in replanned.err


def test_saved_plan_applied_after_state_mv_is_stale(ws: Workspace) -> None:
    applied(ws, qs("mine"))
    write(ws, [ws.bucket("qs", "photos", qs("mine", "https://new.example.com/"))])
    saved = ws.root / "p.plan"
    assert ws.cli("plan", "--out", str(saved)).code == 0
    assert state_cmd(ws, "mv", "qs/photos/mine", "qs/photos/ours").code == 0
    result = ws.cli("apply", str(saved))
    assert result.code != 0 and "plan again" in (result.out + result.err).lower(), result.out + result.err
    assert live(ws) == [FOREIGN, qs("mine")]


# --- rules changed live by others ----------------------------------------------------------------------


def test_foreign_rule_renamed_live_onto_a_managed_id_refuses_the_bucket(ws: Workspace) -> None:
    applied(ws, qs("mine"))
    renamed = {**FOREIGN, "id": "mine"}
    ws.put_live("qs", "photos", {"notifications": [renamed, qs("mine")]})
    write(ws, [ws.bucket("qs", "photos")])  # and ours left the configuration: which copy to delete?
    planned = ws.cli("plan")
    assert planned.code == 1 and "'mine' at positions 1, 2" in planned.err
    assert ws.cli("apply", "--auto-approve").code == 1
    assert live(ws) == [renamed, qs("mine")]


def test_observe_never_writes_whatever_else_the_entry_says(ws: Workspace) -> None:
    applied(ws, qs("mine"))
    write(ws, [{**ws.bucket("qs", "photos", qs("theirs", "https://x.example.com/"), ownership="observe")}])
    planned = ws.cli("plan")
    ws.cli("apply", "--auto-approve")
    assert live(ws) == [FOREIGN, qs("mine")], planned.out + planned.err


def test_refresh_only_after_a_foreign_rule_replaced_an_owned_one_says_so(ws: Workspace) -> None:
    applied(ws, qs("mine"))
    replaced = qs("mine", "https://replacement.example.org/")
    ws.put_live("qs", "photos", {"notifications": [FOREIGN, replaced]})
    planned = ws.cli("plan", "--refresh-only")
    assert "notify_url" in planned.out and "replacement.example.org" in planned.out, planned.out
    assert ws.cli("apply", "--refresh-only", "--auto-approve").code == 0
    assert live(ws) == [FOREIGN, replaced]


def test_an_alias_imported_then_declared_instead_of_the_old_address_deletes_nothing(ws: Workspace) -> None:
    applied(ws, qs("mine"))
    write(ws, [ws.bucket("qs", "photos", qs("mine"))], q2=ws.providers()["qs"])
    imported = ws.cli("import", "q2/photos")  # the same bucket under a second provider name
    assert imported.code == 1, imported.out + imported.err
    assert "cannot import q2/photos: the state already records the same bucket as qs/photos" in imported.err
    assert "reconciler state mv qs/photos q2/photos" in imported.err
    # as an older version could have recorded it: both addresses in the state
    document = json.loads(ws.state.read_text())
    document["buckets"]["q2/photos"] = {**document["buckets"]["qs/photos"], "provider": "q2", "rules": {}}
    ws.state.write_text(json.dumps(document))
    write(ws, [ws.bucket("q2", "photos", qs("mine"))], q2=ws.providers()["qs"])
    planned = ws.cli("plan")
    assert planned.code == 1 and "will be deleted" not in planned.out, planned.out
    assert "run `reconciler state rm qs/photos` to forget what it records there" in planned.err
    assert ws.cli("apply", "--auto-approve").code == 1
    assert live(ws) == [FOREIGN, qs("mine")]


# --- JD Cloud: first match wins, a foreign rule inserted between ours ----------------------------------


def _jd(rule_id: str, suffix: str) -> dict[str, Any]:
    return {
        "id": rule_id,
        "type": "topic",
        "target": f"NS:https://{rule_id}.example.com/cb",
        "events": ["s3:ObjectCreated:*"],
        "filter": {"suffix": suffix},
    }


def _jd_ids(ws: Workspace) -> list[str]:
    return [part.split("</Id>")[0] for part in ws.live("jd", "uploads").split("<Id>")[1:]]


def test_jdcloud_foreign_rule_inserted_between_ours_keeps_its_place_and_content(ws: Workspace) -> None:
    ws.create("jd", "uploads")
    write(ws, [ws.bucket("jd", "uploads", _jd("jpg", ".jpg"), _jd("png", ".png"))])
    assert ws.cli("apply", "--auto-approve").code == 0
    live_before = ws.live("jd", "uploads")
    foreign = (
        "<TopicConfiguration><Id>gif</Id><Topic>NS:https://f.example.com/cb</Topic><Event>s3:ObjectCreated:*"
        "</Event><Filter><S3Key><FilterRule><Name>suffix</Name><Value>.gif</Value></FilterRule></S3Key></Filter>"
        "</TopicConfiguration>"
    )
    at = live_before.index("<TopicConfiguration>", live_before.index("</TopicConfiguration>"))
    ws.put_live("jd", "uploads", live_before[:at] + foreign + live_before[at:])
    assert _jd_ids(ws) == ["jpg", "gif", "png"]
    # ours changed and a new one added after png: the foreign rule keeps its slot between them
    changed = {**_jd("png", ".png"), "target": "NS:https://png2.example.com/cb"}
    write(ws, [ws.bucket("jd", "uploads", _jd("jpg", ".jpg"), changed, _jd("bmp", ".bmp"))])
    assert ws.cli("apply", "--auto-approve").code == 0
    assert _jd_ids(ws) == ["jpg", "gif", "png", "bmp"]
    assert foreign in ws.live("jd", "uploads")
    # ours swapped: both move, the foreign rule still never moves or changes
    write(ws, [ws.bucket("jd", "uploads", changed, _jd("jpg", ".jpg"), _jd("bmp", ".bmp"))])
    assert ws.cli("apply", "--auto-approve").code == 0
    assert "gif" in _jd_ids(ws) and foreign in ws.live("jd", "uploads")
    assert ws.cli("drift").code == 0


def test_drift_of_a_bucket_renamed_without_state_mv_says_state_mv_not_delete(ws: Workspace) -> None:
    applied(ws, qs("mine"))
    write(ws, [ws.bucket("q2", "photos", qs("mine"))], q2=ws.providers()["qs"])
    drift = ws.cli("drift")
    assert "- mine  delete" not in drift.out, drift.out
    assert "run `reconciler state mv qs/photos q2/photos`" in drift.out + drift.err
    assert live(ws) == [FOREIGN, qs("mine")]


def test_state_mv_chain_onto_an_id_that_is_itself_renamed_is_no_clash(ws: Workspace) -> None:
    ws.create("qs", "photos", {"notifications": [FOREIGN]})
    write(ws, [ws.bucket("qs", "photos", qs("a"), qs("b", "https://hooks.example.com/b"))])
    assert ws.cli("apply", "--auto-approve").code == 0
    # a swap: a -> tmp, b -> a, tmp -> b
    for source, destination in (("a", "tmp"), ("b", "a"), ("tmp", "b")):
        assert state_cmd(ws, "mv", f"qs/photos/{source}", f"qs/photos/{destination}").code == 0
    write(ws, [ws.bucket("qs", "photos", qs("a", "https://hooks.example.com/b"), qs("b"))])
    planned = ws.cli("plan", "--detailed-exitcode")
    assert planned.code == 2, planned.out + planned.err
    assert "will be deleted" not in planned.out and "will be created" not in planned.out
    assert ws.cli("apply", "--auto-approve").code == 0
    assert live(ws) == [FOREIGN, qs("b"), qs("a", "https://hooks.example.com/b")]
    assert ws.cli("plan", "--detailed-exitcode").code == 0


def test_amazon_s3_endpoints_of_one_partition_reach_one_bucket_namespace(ws: Workspace) -> None:
    write(
        ws,
        [ws.bucket("aws", "photos"), ws.bucket("a2", "photos", ownership="exclusive")],
        aws={"endpoint": None, "region": "us-east-1"},
        a2={"type": "s3", "flavor": "aws", "region": "eu-west-1", "endpoint": "https://s3.amazonaws.com"},
    )
    result = ws.cli("validate")
    assert result.code == 1 and "bucket a2/photos is the same bucket as aws/photos" in result.out + result.err
    write(
        ws,
        [ws.bucket("aws", "photos"), ws.bucket("a2", "photos")],
        aws={"endpoint": None, "region": "us-east-1"},
        a2={"type": "s3", "flavor": "aws", "region": "cn-north-1", "endpoint": None},
    )
    assert ws.cli("validate").code == 0  # the China partition is another namespace
