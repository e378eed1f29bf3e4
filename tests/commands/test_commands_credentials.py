"""Credential chains through the CLI against the emulator: the configuration's block first, then
each ecosystem's variables and files; s3 through botocore's chain (shared files and profiles,
credential_process, container and instance metadata on loopback servers)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from reconciler.providers.http import log
from tests.commands.conftest import Project
from tests.support.emulator import RunningEmulator

RULE = {"id": "r1", "type": "queue", "target": "arn:minio:sqs::1:webhook", "events": ["s3:ObjectCreated:*"]}
CREDENTIAL_VARIABLES = [
    f"{prefix}_{name}" for prefix in ("AWS", "QY", "QINGSTOR", "BCE") for name in ("ACCESS_KEY_ID", "SECRET_ACCESS_KEY")
]


@pytest.fixture(autouse=True)
def debug_log_off_afterwards() -> Iterator[None]:
    """`-v` switches the process-wide HTTP log on; the next test in this process must not see it."""
    yield
    for handler in list(log.handlers):
        log.removeHandler(handler)
    log.setLevel(logging.NOTSET)


@pytest.fixture
def bare(emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> RunningEmulator:
    """The emulator, with no credential variable set: each test says where the keys are."""
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return emulator


def s3_project(project: Project, emulator: RunningEmulator, **settings: object) -> None:
    provider = {"type": "s3", "flavor": "minio", "endpoint": emulator.url, "region": emulator.region, **settings}
    emulator.admin.create_bucket("s3", "photos", flavor="minio")
    project.configure({"mn": provider}, [{"provider": "mn", "bucket": "photos", "notifications": [RULE]}])


def plans(project: Project) -> None:
    result = project.cli("plan", "--no-color")
    assert result.code == 0, result.output
    assert "Plan: 1 to add" in result.out


def home() -> Path:
    return Path(os.environ["HOME"])


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_aws_profile_with_shared_credentials_file(project, bare, monkeypatch):
    write(
        home() / ".aws" / "credentials",
        f"[default]\naws_access_key_id = {bare.access_key}\naws_secret_access_key = {bare.secret_key}\n",
    )
    monkeypatch.setenv("AWS_PROFILE", "default")
    s3_project(project, bare)
    plans(project)


def test_profile_on_the_provider_wins_over_the_variables(project, bare, monkeypatch):
    write(
        home() / ".aws" / "config",
        f"[profile store]\naws_access_key_id = {bare.access_key}\naws_secret_access_key = {bare.secret_key}\n",
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "WRONG")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    s3_project(project, bare, profile="store")
    plans(project)


def test_unknown_profile_is_named(project, bare):
    s3_project(project, bare, profile="nope")
    result = project.cli("plan")
    assert result.code == 1
    assert "provider 'mn': profile 'nope' gives no credentials" in result.err
    assert "Traceback" not in result.err


def test_credential_process(project, bare, tmp_path):
    script = write(
        tmp_path / "creds.py",
        "import json\n"
        f"print(json.dumps({{'Version': 1, 'AccessKeyId': {bare.access_key!r}, 'SecretAccessKey': {bare.secret_key!r}}}))\n",
    )
    write(home() / ".aws" / "config", f"[profile proc]\ncredential_process = {sys.executable} {script}\n")
    s3_project(project, bare, profile="proc")
    plans(project)


def test_credentials_block_comes_before_the_profile(project, bare, monkeypatch):
    write(home() / ".aws" / "config", "[profile store]\naws_access_key_id = WRONG\naws_secret_access_key = wrong\n")
    monkeypatch.setenv("MY_AK", bare.access_key)
    monkeypatch.setenv("MY_SK", bare.secret_key)
    credentials = {"access_key_id": {"env": "MY_AK"}, "secret_access_key": {"env": "MY_SK"}}
    s3_project(project, bare, profile="store", credentials=credentials)
    plans(project)


class _Metadata(BaseHTTPRequestHandler):
    """Container (ECS) and instance (IMDSv2) metadata, serving the emulator's key as a temporary one."""

    keys: ClassVar[dict[str, str]] = {}
    seen: ClassVar[list[str]] = []

    def _json(self, document: object) -> None:
        self._send(json.dumps(document), "application/json")

    def _send(self, text: str, content_type: str = "text/plain") -> None:
        body = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _credentials(self) -> dict[str, str]:
        return {
            "Code": "Success",
            "AccessKeyId": self.keys["access"],
            "SecretAccessKey": self.keys["secret"],
            "Token": "session-token-from-metadata",
            "Expiration": "2999-01-01T00:00:00Z",
        }

    def do_POST(self) -> None:  # STS AssumeRoleWithWebIdentity
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        self.seen.append(f"POST {self.path} {body}")
        if self.path.startswith("/broken"):  # as moto answers some STS calls: an HTML page
            self.send_error(500)
            return
        self._send(STS_ANSWER.format(access=self.keys["access"], secret=self.keys["secret"]), "text/xml")

    def do_PUT(self) -> None:  # IMDSv2 token
        self.seen.append(f"PUT {self.path}")
        self._send("imds-token")

    def do_GET(self) -> None:
        self.seen.append(f"GET {self.path}")
        if self.path == "/container/creds":
            self._json(self._credentials())
        elif self.path.startswith("/federation/credentials"):  # the SSO portal's GetRoleCredentials
            if self.headers.get("x-amz-sso_bearer_token") != "sso-access-token":
                self.send_error(401)
                return
            role = {
                "accessKeyId": self.keys["access"],
                "secretAccessKey": self.keys["secret"],
                "sessionToken": "session-token-from-sso",
                "expiration": 32503680000000,  # milliseconds: year 3000
            }
            self._json({"roleCredentials": role})
        elif self.path == "/latest/meta-data/iam/security-credentials/":
            self._send("role")
        elif self.path == "/latest/meta-data/iam/security-credentials/role":
            self._json(self._credentials())
        else:
            self.send_error(404)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def metadata(bare: RunningEmulator) -> Iterator[tuple[str, list[str]]]:
    _Metadata.keys = {"access": bare.access_key, "secret": bare.secret_key}
    _Metadata.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Metadata)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", _Metadata.seen
    server.shutdown()
    server.server_close()


def test_container_metadata(project, bare, metadata, monkeypatch):
    url, seen = metadata
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", f"{url}/container/creds")
    s3_project(project, bare)
    plans(project)
    assert "GET /container/creds" in seen


def test_instance_metadata(project, bare, metadata, monkeypatch):
    url, seen = metadata
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "false")
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url)
    s3_project(project, bare)
    plans(project)
    assert "GET /latest/meta-data/iam/security-credentials/role" in seen


def test_qingstor_sdk_config_file(project, bare):
    write(
        home() / ".qingstor" / "config.yaml",
        f"access_key_id: '{bare.access_key}'\nsecret_access_key: '{bare.secret_key}'\nhost: qingstor.com\nzone: ''\n",
    )
    bare.admin.create_bucket("qingstor", "photos")
    rule = {"id": "r1", "event_types": ["create_object"], "cloudfunc": "tupu-porn", "notify_url": "https://h.example/x"}
    provider = {"type": "qingstor", "zone": "pek3b", "endpoint": bare.url}
    project.configure({"qs": provider}, [{"provider": "qs", "bucket": "photos", "notifications": [rule]}])
    plans(project)


def test_qingstor_variables_come_before_the_sdk_file(project, bare, monkeypatch):
    write(home() / ".qingstor" / "config.yaml", "access_key_id: WRONG\nsecret_access_key: wrong\n")
    monkeypatch.setenv("QINGSTOR_ACCESS_KEY_ID", bare.access_key)
    monkeypatch.setenv("QINGSTOR_SECRET_ACCESS_KEY", bare.secret_key)
    bare.admin.create_bucket("qingstor", "photos")
    rule = {"id": "r1", "event_types": ["create_object"], "cloudfunc": "tupu-porn", "notify_url": "https://h.example/x"}
    project.configure(
        {"qs": {"type": "qingstor", "zone": "pek3b", "endpoint": bare.url}},
        [{"provider": "qs", "bucket": "photos", "notifications": [rule]}],
    )
    plans(project)


def test_a_missing_credential_names_every_provider_lacking_one(project, bare):
    providers = {
        "qs": {"type": "qingstor", "zone": "pek3b", "endpoint": bare.url},
        "bj": {"type": "bos", "region": "bj", "endpoint": bare.url},
        "mn": {"type": "s3", "flavor": "minio", "endpoint": bare.url},
    }
    buckets = [{"provider": name, "bucket": "b", "notifications": []} for name in providers]
    project.configure(providers, buckets)
    result = project.cli("plan")
    assert result.code == 1
    assert "3 providers have no usable credentials" in result.err
    for name, variable in (("qs", "QINGSTOR_ACCESS_KEY_ID"), ("bj", "BCE_ACCESS_KEY_ID"), ("mn", "AWS_ACCESS_KEY_ID")):
        assert f"provider {name!r} has no access_key_id: set {variable}" in result.err
    assert "~/.qingstor/config.yaml" in result.err and "AWS_PROFILE" in result.err


def _moto_role(moto_server, project):  # type: ignore[no-untyped-def]
    import boto3

    iam = boto3.client(
        "iam",
        endpoint_url=moto_server.endpoint,
        region_name=moto_server.region,
        aws_access_key_id=moto_server.access_key_id,
        aws_secret_access_key=moto_server.secret_access_key,
    )
    statement = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
    trust = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    role = iam.create_role(RoleName=f"reconciler-{os.getpid()}-{id(project)}", AssumeRolePolicyDocument=trust)["Role"]
    allow = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="all", PolicyDocument=allow)
    return role["Arn"]


def _moto_project(project, moto_server, **settings):  # type: ignore[no-untyped-def]
    bucket = moto_server.new_bucket()
    provider = {
        "type": "s3",
        "flavor": "aws",
        "endpoint": moto_server.endpoint,
        "addressing": "path",
        "region": moto_server.region,
        **settings,
    }
    project.configure({"aws": provider}, [{"provider": "aws", "bucket": bucket, "notifications": []}])


def test_assume_role_profile_through_sts_on_moto(project, moto_server, monkeypatch):
    """role_arn + source_profile: botocore asks STS (moto's, on loopback) for a temporary key, and
    that key, session token included, signs the plan's requests to moto's S3."""
    role_arn = _moto_role(moto_server, project)
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    write(
        home() / ".aws" / "config",
        f"[profile base]\naws_access_key_id = {moto_server.access_key_id}\n"
        f"aws_secret_access_key = {moto_server.secret_access_key}\n"
        f"[profile deployer]\nrole_arn = {role_arn}\nsource_profile = base\nregion = {moto_server.region}\n",
    )
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto_server.endpoint)
    _moto_project(project, moto_server, profile="deployer")

    result = project.cli("plan", "--no-color", "-v")

    assert result.code == 0, result.output
    assert "x-amz-security-token" in result.err.lower()  # the temporary key's token went along


def test_a_new_temporary_key_at_each_run_is_not_another_account(project, moto_server, monkeypatch):
    """Each assume-role gives a key with a new id: the bucket identity recorded at apply must not
    see another account at the next plan (else the owned rules would stop being owned)."""
    role_arn = _moto_role(moto_server, project)
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    write(
        home() / ".aws" / "config",
        f"[profile base]\naws_access_key_id = {moto_server.access_key_id}\n"
        f"aws_secret_access_key = {moto_server.secret_access_key}\n"
        f"[profile deployer]\nrole_arn = {role_arn}\nsource_profile = base\nregion = {moto_server.region}\n",
    )
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto_server.endpoint)
    _moto_project(project, moto_server, profile="deployer", skip_destination_validation=True)
    config = json.loads(project.config.read_text())
    rule = {"id": "thumbs", "type": "queue", "target": "arn:aws:sqs:us-east-1:123456789012:thumbs"}
    config["buckets"][0]["notifications"] = [{**rule, "events": ["s3:ObjectCreated:*"]}]
    project.config.write_text(json.dumps(config))

    applied = project.cli("apply", "--auto-approve", "--no-color")
    assert applied.code == 0, applied.output
    again = project.cli("plan", "--detailed-exitcode", "--no-color")
    assert again.code == 0, again.output  # no changes, and no "identity changed" refusal


def test_sso_profile_with_a_cached_login(project, bare, metadata, monkeypatch):
    """An SSO profile after `aws sso login`: the cached token is exchanged at the SSO portal (a
    loopback one here) for the role's temporary key."""
    url, seen = metadata
    start_url = "https://example.awsapps.com/start"
    cache = home() / ".aws" / "sso" / "cache" / f"{hashlib.sha1(start_url.encode()).hexdigest()}.json"
    write(
        cache,
        json.dumps(
            {
                "startUrl": start_url,
                "region": "us-east-1",
                "accessToken": "sso-access-token",
                "expiresAt": "2999-01-01T00:00:00Z",
            }
        ),
    )
    write(
        home() / ".aws" / "config",
        f"[profile sso]\nsso_start_url = {start_url}\nsso_region = us-east-1\n"
        "sso_account_id = 123456789012\nsso_role_name = Deployer\n",
    )
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", url)
    import botocore.credentials  # botocore fixes the token cache's directory from HOME when first imported

    monkeypatch.setattr(botocore.credentials.SSOProvider, "_SSO_TOKEN_CACHE_DIR", str(cache.parent))
    s3_project(project, bare, profile="sso")
    plans(project)
    assert any(line.startswith("GET /federation/credentials") for line in seen), seen


STS_ANSWER = """<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Credentials>
      <AccessKeyId>{access}</AccessKeyId>
      <SecretAccessKey>{secret}</SecretAccessKey>
      <SessionToken>session-token-from-sts</SessionToken>
      <Expiration>2999-01-01T00:00:00Z</Expiration>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>"""


def test_web_identity_token_file(project, bare, metadata, monkeypatch, tmp_path):
    """IRSA-style: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, exchanged at STS (a loopback one
    here) for a temporary key that signs the plan's requests."""
    url, seen = metadata
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/reconciler")
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(write(tmp_path / "token", "projected-token")))
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", url)
    monkeypatch.setenv("AWS_REGION", bare.region)
    s3_project(project, bare)

    result = project.cli("plan", "--no-color", "-v")

    assert result.code == 0, result.output
    assert any(line.startswith("POST") and "AssumeRoleWithWebIdentity" in line for line in seen), seen
    assert "x-amz-security-token" in result.err.lower()


def test_a_failing_sts_is_a_credential_error_naming_the_provider(project, bare, metadata, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/reconciler")
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(write(tmp_path / "token", "projected-token")))
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", f"{metadata[0]}/broken")  # an HTML error page, not STS XML
    monkeypatch.setenv("AWS_REGION", bare.region)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    s3_project(project, bare)

    result = project.cli("plan")

    assert result.code == 1
    assert "provider 'mn': the AWS credential chain gives no credentials" in result.err
    assert "Traceback" not in result.err and "internal error" not in result.err
