"""examples/gitops: every file runs the reconciler commands it ships, against the emulator.

Workflows: each step whose `run:` invokes reconciler is run as GitHub runs it (`bash -e`, or
`bash -eo pipefail` under `shell: bash`, $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY files, the step's env). cron, systemd and
Kubernetes: the command line, with the host paths mapped into a temporary directory.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from ruamel.yaml import YAML

from reconciler.config.formatting import format_text
from tests.support.emulator import RunningEmulator

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gitops"
BIN = Path(sys.executable).parent
BOS_KEY = "gitops-bos-notify-key"
INVOKES_RECONCILER = re.compile(r"(?:^|[;&|]|\$\()\s*reconciler\s", re.MULTILINE)  # a command, not a word
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
BUCKETS = (("qingstor", "user-photos", None), ("bos", "scanned-documents", None), ("s3", "uploads", "jdcloud"))


@dataclass
class Repo:
    root: Path
    emulator: RunningEmulator
    env: dict[str, str]  # secrets and the runner's environment
    variables: dict[str, str] = field(default_factory=dict)  # repository variables (`vars.X`)

    def reconciler(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "reconciler"), *argv], cwd=self.root, env=self.env, capture_output=True, text=True, timeout=120
        )


@pytest.fixture
def repo(tmp_path: Path, emulator: RunningEmulator) -> Repo:
    """A clone of the example (so `git pull` works), its providers' endpoints set to the emulator."""
    origin = tmp_path / "origin.git"
    seed = tmp_path / "seed"
    shutil.copytree(EXAMPLE, seed)
    config = seed / "notifications" / "buckets.yaml"
    yaml = YAML()
    document = yaml.load(config.read_text())
    for provider in document["providers"].values():
        provider["endpoint"] = emulator.url
        if provider["type"] == "s3":
            provider["region"] = emulator.region
    with config.open("w") as handle:
        yaml.dump(document, handle)
    config.write_text(format_text(config.read_text()))  # as its author would, before committing
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "--quiet", "--bare", str(origin)], check=True)
    subprocess.run([*git, "init", "--quiet"], cwd=seed, check=True)
    subprocess.run([*git, "add", "-A"], cwd=seed, check=True)
    subprocess.run([*git, "commit", "--quiet", "-m", "seed"], cwd=seed, check=True)
    subprocess.run([*git, "push", "--quiet", str(origin), "HEAD:main"], cwd=seed, check=True)
    root = tmp_path / "notification rules"
    subprocess.run([*git, "clone", "--quiet", "--branch", "main", str(origin), str(root)], check=True)
    for dialect, name, flavor in BUCKETS:
        emulator.admin.create_bucket(dialect, name, flavor=flavor)
    env = {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    env |= emulator.env() | {"BOS_NOTIFY_KEY": BOS_KEY}
    return Repo(root, emulator, env)


# --- GitHub Actions ------------------------------------------------------------------------------


def workflow(name: str) -> dict[str, Any]:
    return YAML(typ="safe").load((EXAMPLE / ".github" / "workflows" / name).read_text())


def reconciler_steps(document: dict[str, Any]) -> dict[str, tuple[dict[str, Any], dict[str, str]]]:
    """Steps that run reconciler, by name, each with the env GitHub would give it (workflow, job, step)."""
    found = {}
    for job in document["jobs"].values():
        for step in job["steps"]:
            if "run" in step and INVOKES_RECONCILER.search(step["run"]):
                shell = step.get("shell") or _default_shell(job) or _default_shell(document)
                found[step["name"]] = (
                    {**step, "shell": shell},
                    {**document.get("env", {}), **job.get("env", {}), **step.get("env", {})},
                )
    return found


def _default_shell(level: dict[str, Any]) -> str | None:
    return level.get("defaults", {}).get("run", {}).get("shell")


# GitHub runs `run:` with `bash -e` unless `shell: bash` is named: only then is pipefail on
SHELLS = {None: ["bash", "-e"], "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail"]}


def resolve(value: str, repo: Repo) -> str:
    """`${{ secrets.X }}` is the test's X (empty when unset, as on GitHub), `${{ vars.X || 'default' }}`
    the repository variable or the default; any other expression is context the commands do not read."""

    def replace(match: re.Match[str]) -> str:
        expression = match.group(1)
        if expression.startswith("secrets."):
            return repo.env.get(expression.removeprefix("secrets."), "")
        variable = re.fullmatch(r"vars\.(\w+)(?:\s*\|\|\s*'([^']*)')?", expression)
        if variable:
            return repo.variables.get(variable.group(1)) or variable.group(2) or ""
        return "7"

    return EXPRESSION.sub(replace, str(value))


@dataclass
class StepRun:
    code: int
    out: str
    outputs: dict[str, str]
    summary: str


def run_step(repo: Repo, step: dict[str, Any], step_env: dict[str, str], tmp: Path) -> StepRun:
    assert "${{" not in step["run"], f"{step['name']}: expressions belong in env:, not in the script"
    output, summary = tmp / "github_output", tmp / "step_summary"
    output.write_text("")
    summary.write_text("")
    env = {**repo.env, **{k: resolve(v, repo) for k, v in step_env.items()}}
    env |= {"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary), "CI": "true"}
    result = subprocess.run(
        [*SHELLS[step["shell"]], "-c", step["run"]],
        cwd=repo.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return StepRun(result.returncode, result.stdout + result.stderr, outputs, summary.read_text())


def change_outside(emulator: RunningEmulator) -> None:
    """Someone deletes the JD Cloud rule with another tool."""
    xml = emulator.admin.document("s3", "uploads")
    emulator.admin.put_document(
        "s3", "uploads", re.sub(r"<TopicConfiguration>.*</TopicConfiguration>", "", xml, flags=re.S)
    )


def test_pull_request_plan_merge_apply_and_nightly_drift(repo, tmp_path):
    plan = reconciler_steps(workflow("reconciler-plan.yml"))
    apply = reconciler_steps(workflow("reconciler-apply.yml"))
    drift = reconciler_steps(workflow("reconciler-drift.yml"))
    assert list(plan) == ["Check formatting", "Validate", "Plan", "Render the plan for the pull request"]
    assert list(apply) == ["Apply the reviewed plan"]
    assert list(drift) == ["Check for drift"]

    # pull request: validate, plan (changes: exit 2 recorded, the step passes), render the comment
    for name in plan:
        result = run_step(repo, *plan[name], tmp_path)
        assert result.code == 0, f"{name}: {result.out}"
        if name == "Plan":
            assert result.outputs["exitcode"] == "2"
    comment = (repo.root / "plan.md").read_text()
    assert comment.startswith("<!-- reconciler-plan -->")
    assert "jd/uploads" in comment and BOS_KEY not in comment
    assert (repo.root / "plan.json").is_file()

    # merge: the saved plan is applied as it is
    result = run_step(repo, *apply["Apply the reviewed plan"], tmp_path)
    assert result.code == 0, result.out
    assert "Apply complete!" in (repo.root / "apply.txt").read_text()
    assert (repo.root / "state" / "reconciler.state.json").is_file()

    # the next pull request's plan has nothing to do
    result = run_step(repo, *plan["Plan"], tmp_path)
    assert result.code == 0 and result.outputs["exitcode"] == "0", result.out

    # nightly: in sync, then a change made outside fails the job with exit 2 and a report
    check = drift["Check for drift"]
    result = run_step(repo, *check, tmp_path)
    assert result.code == 0 and result.outputs["exitcode"] == "0", result.out
    change_outside(repo.emulator)
    result = run_step(repo, *check, tmp_path)
    assert result.code == 2 and result.outputs["exitcode"] == "2", result.out
    assert result.summary.startswith("<!-- reconciler:drift -->")
    assert "jpg-callback" in result.summary and "DELETED" in result.summary


def test_the_recommended_remote_state_on_s3(repo, tmp_path, moto_server):
    """RECONCILER_STATE set to an S3 location with the state bucket's own keys: plan, apply and drift
    share that state, and nothing is left to commit to Git."""
    bucket = moto_server.new_bucket()
    location = f"s3://{bucket}/notifications/reconciler.state.json?endpoint={moto_server.endpoint}&region=us-east-1"
    repo.variables["RECONCILER_STATE"] = location
    repo.env |= {
        "RECONCILER_STATE_ACCESS_KEY_ID": moto_server.access_key_id,
        "RECONCILER_STATE_SECRET_ACCESS_KEY": moto_server.secret_access_key,
    }
    plan = reconciler_steps(workflow("reconciler-plan.yml"))
    apply = reconciler_steps(workflow("reconciler-apply.yml"))
    drift = reconciler_steps(workflow("reconciler-drift.yml"))

    result = run_step(repo, *plan["Plan"], tmp_path)
    assert result.code == 0 and result.outputs["exitcode"] == "2", result.out
    result = run_step(repo, *apply["Apply the reviewed plan"], tmp_path)
    assert result.code == 0, result.out
    assert not (repo.root / "state" / "reconciler.state.json").exists()  # nothing to commit
    stored = moto_server.s3().get_object(Bucket=bucket, Key="notifications/reconciler.state.json")["Body"].read()
    assert len(json.loads(stored)["buckets"]) == 3
    result = run_step(repo, *plan["Plan"], tmp_path)
    assert result.code == 0 and result.outputs["exitcode"] == "0", result.out
    change_outside(repo.emulator)
    result = run_step(repo, *drift["Check for drift"], tmp_path)
    assert result.code == 2 and "jpg-callback" in result.summary, result.out


def test_a_failed_apply_fails_the_merge_job(repo, tmp_path):
    """The apply output is piped through tee: the job must still fail when apply does."""
    apply = reconciler_steps(workflow("reconciler-apply.yml"))["Apply the reviewed plan"]
    (repo.root / "plan.json").write_text("{}")  # not a plan: apply exits 1
    result = run_step(repo, *apply, tmp_path)
    assert result.code != 0, result.out
    assert "not a reconciler plan" in (repo.root / "apply.txt").read_text()


def test_plan_comment_is_updated_in_place_and_the_plan_is_kept_as_an_artifact():
    document = workflow("reconciler-plan.yml")
    steps = {step.get("name", step.get("uses")): step for step in document["jobs"]["plan"]["steps"]}
    script = steps["Post or update the plan comment"]["with"]["script"]
    assert "updateComment" in script and "<!-- reconciler-plan -->" in script and "c.body.includes(marker)" in script
    upload = steps["Save the plan for the apply on merge"]
    assert upload["uses"].startswith("actions/upload-artifact@") and upload["with"]["path"] == "plan.json"
    applied = workflow("reconciler-apply.yml")["jobs"]["apply"]["steps"]
    download = next(step for step in applied if step.get("uses", "").startswith("actions/download-artifact@"))
    # the apply on merge takes the artifact saved for the very commit that was merged
    assert (
        download["with"]["name"]
        == upload["with"]["name"]
        == "reconciler-plan-${{ github.event.pull_request.head.sha }}"
    )


def test_drift_job_reports_through_one_issue():
    steps = {s.get("name"): s for s in workflow("reconciler-drift.yml")["jobs"]["drift"]["steps"]}
    assert steps["Open or update the drift issue"]["if"] == "failure() && steps.drift.outputs.exitcode == '2'"
    assert "issues.update" in steps["Open or update the drift issue"]["with"]["script"]
    assert steps["Close the drift issue when back in sync"]["if"] == "success()"


# --- cron, systemd, Kubernetes -------------------------------------------------------------------


@pytest.fixture
def applied(repo: Repo) -> Repo:
    result = repo.reconciler("apply", "--auto-approve", "-c", "notifications", "--state", "state/reconciler.state.json")
    assert result.returncode == 0, result.stderr
    return repo


def host_paths(repo: Repo, tmp: Path) -> dict[str, str]:
    """Where the host paths of the ops files live in this test."""
    textfile = tmp / "textfile_collector"
    textfile.mkdir(exist_ok=True)
    credentials = tmp / "credentials.env"
    credentials.write_text(
        "".join(f"{k}={v}\n" for k, v in repo.env.items() if k.endswith(("_KEY_ID", "_ACCESS_KEY", "_KEY")))
    )
    return {
        "/var/lib/node_exporter/textfile_collector": str(textfile),
        "/etc/reconciler/credentials.env": str(credentials),
        "/opt/reconciler/venv/bin": str(BIN),
        "/srv/reconciler": str(repo.root),
    }


def mapped(text: str, paths: dict[str, str], *, shell: bool = False) -> str:
    """Host paths replaced by the test's; quoted where a shell (or systemd) splits the words."""
    for host, local in paths.items():
        text = text.replace(host, shlex.quote(local) if shell else local)
    return text


def metrics(path: Path) -> dict[str, Any]:
    return {family.name: family for family in text_string_to_metric_families(path.read_text())}


def test_cron_line_publishes_drift_metrics(applied, tmp_path):
    paths = host_paths(applied, tmp_path)
    variables, commands = {}, []
    for line in (EXAMPLE / "ops" / "cron" / "reconciler-drift").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if re.match(r"^[A-Z_]+=", line):
            key, value = line.split("=", 1)
            variables[key] = mapped(value, paths)
            continue
        fields = line.split(None, 6)
        assert fields[5] == "reconciler", "runs as the reconciler user"
        commands.append(mapped(fields[6], paths, shell=True))
    (command,) = commands
    env = {"HOME": str(tmp_path), "PATH": variables["PATH"]}
    result = subprocess.run([variables["SHELL"], "-c", command], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    prom = Path(paths["/var/lib/node_exporter/textfile_collector"]) / "reconciler_drift.prom"
    assert metrics(prom)["reconciler_drift_detected"].samples[0].value == 0
    change_outside(applied.emulator)
    result = subprocess.run([variables["SHELL"], "-c", command], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2  # drift is a result: the metrics say so
    assert metrics(prom)["reconciler_drift_detected"].samples[0].value == 1
    assert not list(prom.parent.glob("*.tmp")), "no half-written file is left behind"


def unit(name: str) -> dict[str, list[str]]:
    entries: dict[str, list[str]] = {}
    for line in (EXAMPLE / "ops" / "systemd" / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            entries.setdefault(key, []).append(value)
    return entries


def test_systemd_service_exec_start(applied, tmp_path):
    paths = host_paths(applied, tmp_path)
    service = unit("reconciler-drift.service")
    assert unit("reconciler-drift.timer")["OnCalendar"] == ["*-*-* 03:17:00"]
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    env |= {k: v for k, v in applied.env.items() if k not in ("PATH", "HOME")}  # the EnvironmentFile
    for assignment in service["Environment"]:
        key, value = assignment.split("=", 1)
        env[key] = mapped(value, paths)
    success = {0, *map(int, " ".join(service["SuccessExitStatus"]).split())}
    (exec_start,) = service["ExecStart"]
    command = shlex.split(mapped(exec_start, paths, shell=True))
    cwd = mapped(service["WorkingDirectory"][0], paths)
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.returncode in success, result.stderr
    change_outside(applied.emulator)
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and 2 in success, "drift found must not fail the unit"
    prom = Path(paths["/var/lib/node_exporter/textfile_collector"]) / "reconciler_drift.prom"
    rules = metrics(prom)["reconciler_drift_rules"].samples
    assert any(s.labels == {"address": "jd/uploads", "kind": "deleted"} and s.value == 1 for s in rules)


def test_kubernetes_cronjob_command(applied, tmp_path):
    manifest = YAML(typ="safe").load((EXAMPLE / "ops" / "kubernetes" / "drift-cronjob.yaml").read_text())
    pod = manifest["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert pod["initContainers"][0]["args"][-1] == mounts["repo"], "the clone lands where drift reads it"
    dockerfile = (EXAMPLE / "ops" / "kubernetes" / "Dockerfile").read_text()
    assert f"COPY ops/drift-textfile.sh /usr/local/bin/{container['command'][0]}" in dockerfile
    textfile = tmp_path / "textfile"
    textfile.mkdir()
    command = [
        str(EXAMPLE / "ops" / container["command"][0]),
        *(
            arg.replace(mounts["repo"], str(applied.root)).replace(mounts["textfile"], str(textfile))
            for arg in container["command"][1:]
        ),
    ]
    env = {k: v for k, v in applied.env.items()}
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    family = metrics(textfile / "reconciler_drift.prom")["reconciler_drift_buckets"]
    assert {s.labels["status"]: s.value for s in family.samples} == {"in_sync": 3, "drifted": 0, "error": 0}


def test_the_textfile_wrapper_keeps_the_previous_report_when_drift_prints_none(applied, tmp_path):
    prom = tmp_path / "reconciler_drift.prom"
    prom.write_text("# previous report\n")
    wrapper = str(EXAMPLE / "ops" / "drift-textfile.sh")
    result = subprocess.run(
        [wrapper, str(prom), "-c", "does-not-exist"], cwd=applied.root, env=applied.env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "printed no report" in result.stderr and prom.read_text() == "# previous report\n"
    assert not list(tmp_path.glob("*.tmp"))
