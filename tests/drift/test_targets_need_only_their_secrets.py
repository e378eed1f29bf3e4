"""A run limited by --target (or import of one bucket) resolves only that bucket's secrets."""

from __future__ import annotations

QS_RULE = {"id": "mine", "event_types": ["create_object"], "cloudfunc": "notifier", "notify_url": "https://h.example.com/q"}
BOS_RULE = {
    "id": "ocr",
    "appId": "app-ocr",
    "status": "enabled",
    "resources": ["/scans/*.png"],
    "events": ["PutObject"],
    "encryption": {"key": {"env": "UNSET_BOS_NOTIFY_KEY"}},
    "apps": [{"id": "app-ocr", "eventUrl": "app:ImageOcr"}],
}


def test_targeted_commands_do_not_need_secrets_of_other_buckets(ws, monkeypatch):
    monkeypatch.delenv("UNSET_BOS_NOTIFY_KEY", raising=False)
    ws.create("qs", "photos")
    ws.create("bj", "docs")
    ws.write("buckets.yaml", buckets=[ws.bucket("qs", "photos", QS_RULE), ws.bucket("bj", "docs", BOS_RULE)])

    assert ws.cli("plan", "--target", "qs/photos").code == 0
    assert ws.cli("apply", "--auto-approve", "--target", "qs/photos").code == 0
    assert ws.cli("drift", "--target", "qs/photos").code == 0

    untargeted = ws.cli("plan")
    assert untargeted.code == 1 and "UNSET_BOS_NOTIFY_KEY" in untargeted.err
