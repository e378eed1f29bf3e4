"""The admin API under /_emulator/: JSON, no authentication (a loopback test tool).

    GET    /_emulator/health                                  {"status": "ok", "buckets": N}
    GET    /_emulator/buckets                                 {"buckets": [bucket, …]}
    POST   /_emulator/buckets                                 one bucket spec, or {"buckets": [spec, …]}
    GET    /_emulator/buckets/<dialect>/<name>                bucket
    DELETE /_emulator/buckets/<dialect>/<name>
    GET    /_emulator/buckets/<dialect>/<name>/document       the stored document, wire form
    PUT    /_emulator/buckets/<dialect>/<name>/document       replace it directly (out of band)
    GET    /_emulator/counters[?dialect=D&bucket=B]           requests per bucket and method
    DELETE /_emulator/counters                                 reset them
    GET    /_emulator/faults                                   active fault sets by scope
    PUT    /_emulator/faults[?bucket=B[&dialect=D]]            set (replace) a fault set
    DELETE /_emulator/faults[?bucket=B[&dialect=D]]            clear one scope, or all without query
    POST   /_emulator/reset                                    no buckets, counters or faults

A bucket spec is {"dialect": "qingstor"|"bos"|"s3", "name": …, "flavor": "aws"|"jdcloud"|
"minio"|"ceph" (s3 only, default aws), "document": optional wire form}. A wire-form document
is the JSON object {"notifications": […]} for qingstor and bos, the XML text for s3. Errors
are {"error": "<one sentence>"} with 400, 404 or 409.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse as _StarletteJSON, Response
from starlette.routing import Route, Router

from reconciler.emulator.faults import FaultSpec, FaultTable
from reconciler.emulator.store import DIALECTS, S3_FLAVORS, Bucket

if TYPE_CHECKING:
    from reconciler.emulator.app import Emulator

BUCKET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")


class JSONResponse(_StarletteJSON):
    """Renders what the store holds even when a planted document holds NaN (a hostile server's
    document, kept as given), instead of failing with a 500."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, allow_nan=True, separators=(",", ":")).encode("utf-8")


class AdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def admin_router(emulator: Emulator) -> Router:
    admin = _Admin(emulator)
    prefix = "/_emulator"
    return Router(
        routes=[
            Route(f"{prefix}/health", admin.guarded(admin.health), methods=["GET"]),
            Route(f"{prefix}/buckets", admin.guarded(admin.list_buckets), methods=["GET"]),
            Route(f"{prefix}/buckets", admin.guarded(admin.create_buckets), methods=["POST"]),
            Route(f"{prefix}/buckets/{{dialect}}/{{name}}", admin.guarded(admin.show_bucket), methods=["GET"]),
            Route(f"{prefix}/buckets/{{dialect}}/{{name}}", admin.guarded(admin.delete_bucket), methods=["DELETE"]),
            Route(f"{prefix}/buckets/{{dialect}}/{{name}}/document", admin.guarded(admin.document), methods=["GET"]),
            Route(
                f"{prefix}/buckets/{{dialect}}/{{name}}/document", admin.guarded(admin.put_document), methods=["PUT"]
            ),
            Route(f"{prefix}/counters", admin.guarded(admin.counters), methods=["GET"]),
            Route(f"{prefix}/counters", admin.guarded(admin.reset_counters), methods=["DELETE"]),
            Route(f"{prefix}/faults", admin.guarded(admin.faults), methods=["GET"]),
            Route(f"{prefix}/faults", admin.guarded(admin.set_faults), methods=["PUT"]),
            Route(f"{prefix}/faults", admin.guarded(admin.clear_faults), methods=["DELETE"]),
            Route(f"{prefix}/reset", admin.guarded(admin.reset), methods=["POST"]),
        ]
    )


class _Admin:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.store = emulator.store

    @staticmethod
    def guarded(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)
            except AdminError as error:
                return JSONResponse({"error": str(error)}, status_code=error.status)

        return endpoint

    # --- buckets --------------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok", "buckets": len(self.store)})

    async def list_buckets(self, request: Request) -> Response:
        return JSONResponse({"buckets": [self._describe(bucket) for bucket in self.store.buckets()]})

    async def create_buckets(self, request: Request) -> Response:
        body = await _json(request)
        many = isinstance(body, dict) and "buckets" in body
        specs = body["buckets"] if many else [body]
        if not isinstance(specs, list) or not specs:
            raise AdminError(400, "'buckets' must be a non-empty list of bucket specs")
        planned = [self._planned_bucket(spec, f"buckets[{i}]" if many else "body") for i, spec in enumerate(specs)]
        seen: set[tuple[str, str]] = set()
        for dialect, name, _flavor, _rules in planned:
            if self.store.get(dialect, name) is not None or (dialect, name) in seen:
                raise AdminError(409, f"bucket {dialect}/{name} already exists")
            seen.add((dialect, name))
        created = [self.store.create(*plan) for plan in planned]
        await self.emulator.persist()
        described = [self._describe(bucket) for bucket in created]
        return JSONResponse({"buckets": described} if many else described[0], status_code=201)

    def _planned_bucket(self, spec: Any, where: str) -> tuple[str, str, str | None, tuple[Any, ...]]:
        if not isinstance(spec, dict):
            raise AdminError(400, f'{where} must be an object like {{"dialect": "s3", "name": "photos"}}')
        unknown = set(spec) - {"dialect", "name", "flavor", "document"}
        if unknown:
            raise AdminError(400, f"{where} has unknown field(s) {', '.join(sorted(unknown))}")
        dialect, name, flavor = spec.get("dialect"), spec.get("name"), spec.get("flavor")
        if dialect not in DIALECTS:
            raise AdminError(400, f"{where}.dialect must be one of {', '.join(DIALECTS)}, not {dialect!r}")
        if not isinstance(name, str) or not BUCKET_NAME.match(name):
            raise AdminError(400, f"{where}.name {name!r} is not a bucket name (letters, digits, '.', '_', '-')")
        if dialect == "s3":
            flavor = flavor or "aws"
            if flavor not in S3_FLAVORS:
                raise AdminError(400, f"{where}.flavor must be one of {', '.join(S3_FLAVORS)}, not {flavor!r}")
        elif flavor is not None:
            raise AdminError(400, f"{where}.flavor is only for s3 buckets")
        rules = self._rules(dialect, flavor, spec["document"], f"{where}.document") if "document" in spec else ()
        return dialect, name, flavor, rules

    def _rules(self, dialect: str, flavor: str | None, document: Any, where: str) -> tuple[Any, ...]:
        try:
            return self.emulator.apis[dialect].admin_rules(document, flavor)
        except ValueError as error:
            raise AdminError(400, f"{where}: {error}") from None

    async def show_bucket(self, request: Request) -> Response:
        return JSONResponse(self._describe(self._bucket(request)))

    async def delete_bucket(self, request: Request) -> Response:
        bucket = self._bucket(request)
        self.store.delete(bucket.dialect, bucket.name)
        await self.emulator.persist()
        return Response(status_code=204)

    async def document(self, request: Request) -> Response:
        bucket = self._bucket(request)
        return JSONResponse({"document": self.emulator.apis[bucket.dialect].admin_view(bucket)})

    async def put_document(self, request: Request) -> Response:
        bucket = self._bucket(request)
        body = await _json(request)
        if not isinstance(body, dict) or set(body) != {"document"}:
            raise AdminError(400, 'the body must be {"document": <wire form>}')
        self.store.replace_rules(bucket, self._rules(bucket.dialect, bucket.flavor, body["document"], "document"))
        await self.emulator.persist()
        return JSONResponse(self._describe(bucket))

    def _bucket(self, request: Request) -> Bucket:
        dialect, name = request.path_params["dialect"], request.path_params["name"]
        bucket = self.store.get(dialect, name)
        if bucket is None:
            raise AdminError(404, f"no bucket {dialect}/{name}")
        return bucket

    def _describe(self, bucket: Bucket) -> dict[str, Any]:
        return {
            "dialect": bucket.dialect,
            "name": bucket.name,
            "flavor": bucket.flavor,
            "rules": len(bucket.rules),
            "counters": bucket.counters(),
            "document": self.emulator.apis[bucket.dialect].admin_view(bucket),
        }

    # --- counters -------------------------------------------------------------------------------

    async def counters(self, request: Request) -> Response:
        dialect, name = request.query_params.get("dialect"), request.query_params.get("bucket")
        chosen = [
            bucket
            for bucket in self.store.buckets()
            if (dialect is None or bucket.dialect == dialect) and (name is None or bucket.name == name)
        ]
        total = {"GET": 0, "PUT": 0, "DELETE": 0}
        for bucket in chosen:
            for method, count in bucket.counters().items():
                total[method] = total.get(method, 0) + count
        return JSONResponse({"buckets": {bucket.key: bucket.counters() for bucket in chosen}, "total": total})

    async def reset_counters(self, request: Request) -> Response:
        self.store.reset_counters()
        return Response(status_code=204)

    # --- faults ---------------------------------------------------------------------------------

    async def faults(self, request: Request) -> Response:
        return JSONResponse({"faults": self.emulator.faults.describe()})

    async def set_faults(self, request: Request) -> Response:
        scope = _fault_scope(request)
        try:
            spec = FaultSpec.model_validate(await _json(request))
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in issue['loc']) or 'body'}: {issue['msg']}" for issue in error.errors()
            )
            raise AdminError(400, f"invalid fault spec: {problems}") from None
        active = self.emulator.faults.set(spec, scope)
        return JSONResponse({"scope": scope, **active.describe()})

    async def clear_faults(self, request: Request) -> Response:
        scope = _fault_scope(request)
        self.emulator.faults.clear(scope if request.query_params else None)
        return Response(status_code=204)

    async def reset(self, request: Request) -> Response:
        self.store.clear()
        self.emulator.faults.clear()
        await self.emulator.persist()
        return Response(status_code=204)


def _fault_scope(request: Request) -> str:
    bucket, dialect = request.query_params.get("bucket"), request.query_params.get("dialect")
    unknown = set(request.query_params) - {"bucket", "dialect"}
    if unknown:
        raise AdminError(400, f"unknown query parameter(s) {', '.join(sorted(unknown))}; use bucket and dialect")
    if dialect is not None and dialect not in DIALECTS:
        raise AdminError(400, f"dialect must be one of {', '.join(DIALECTS)}, not {dialect!r}")
    if dialect is not None and bucket is None:
        raise AdminError(400, "dialect needs bucket: faults are global or per bucket")
    return FaultTable.scope(bucket, dialect)


async def _json(request: Request) -> Any:
    body = await request.body()
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise AdminError(400, f"the body is not valid JSON: {error}") from None
