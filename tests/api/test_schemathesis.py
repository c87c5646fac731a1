"""Schemathesis over the OpenAPI document, on a served school, SQLite and PostgreSQL.

A small school (the example English program, simulated learners, an issued
credential) is served by uvicorn on loopback; Schemathesis's command line then
runs its fuzzing and stateful phases against ``/openapi.json`` with the
school's key and every check it has but one:

* ``not_a_server_error``: no 5xx, whatever the input;
* status codes, content types, headers and bodies as the document says
  (``status_code_conformance``, ``content_type_conformance``,
  ``response_headers_conformance``, ``response_schema_conformance``);
* invalid input refused (``negative_data_rejection``), missing keys refused
  and keys never ignored (``missing_required_header``, ``ignored_auth``),
  ``405`` with ``Allow`` (``unsupported_method``,
  ``allow_header_conformance``), and the stateful checks on what POST creates
  and DELETE removes (``use_after_free``, ``ensure_resource_availability``).

The server-sent event streams (``/v1/streams/...``, ``/v1/pk/{id}/stream``)
are left out: they never end, so every request would time out;
``tests/api/test_streams.py`` drives them on a served app. And
``positive_data_acceptance`` is left out: it expects every request that fits
the schema to succeed, but many rules are not expressible in OpenAPI (an event
for a unit the program does not have, ``start`` after ``end``, a week that a
year does not have, a page link for a learner without a ``learner``), and
those are rightly answered 422 with a reason.

The run is reproducible (a fixed seed, deterministic generation, one worker,
no example database), so CI tests the same cases every time.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from levelwise.app.engine import Levelwise
from levelwise.app.simulate.school import simulate
from levelwise.bootstrap import create_api, engine_over, open_stores
from levelwise.config import Settings
from tests.conftest import FixedClock
from tests.support.factories import new_tenant
from tests.support.live_server import serve
from tests.support.postgres import postgres_engine, postgres_url

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = ROOT / "src/levelwise/examples/programs/english.yaml"
NOW = "2026-11-12T12:00:00Z"
CHECKS_LEFT_OUT = "positive_data_acceptance"
ENDLESS = "/stream"
"""Paths matching this are event streams: open until the client goes."""
MAX_EXAMPLES = 20
MIN_OPERATIONS = 40
"""The API has 54 operations, 3 of them streams: a run testing fewer lost some."""
SEED = 20261207


def schemathesis_command() -> list[str]:
    """The ``st`` entry point of this environment."""
    found = Path(sys.executable).with_name("st")
    return [str(found)] if found.exists() else [shutil.which("st") or "st"]


def seed_school(engine: Levelwise, tenant: str) -> list[str]:
    """The example program and simulated events; the learners, best first."""
    engine.put_program(tenant, PROGRAM.read_text(), PROGRAM.name)
    now = datetime.fromisoformat(NOW)
    events = [
        e
        for e in simulate(engine.program(tenant), learners=12, weeks=3, seed=5)
        if datetime.fromisoformat(str(e["occurred_at"])) <= now
    ]
    events.sort(key=lambda e: str(e["occurred_at"]))
    engine.ingest(tenant, events)
    ranked = sorted(engine.snapshots(tenant), key=lambda s: (-s.level, -s.xp))
    return [s.learner for s in ranked]


def issue_credentials(api: httpx.Client, learners: list[str]) -> list[str]:
    """Credential ids of the best learners' awards (issued over the API)."""
    issuer = {"name": "Fuzz School", "url": "https://school.example"}
    assert api.put("/v1/credentials/issuer", json=issuer).status_code == 200
    ids: list[str] = []
    for learner in learners[:3]:
        response = api.post(f"/v1/learners/{learner}/credentials", json={})
        if response.status_code in (200, 201):
            ids += [str(c["id"]) for c in response.json()["credentials"]]
    return ids


def config_file(
    folder: Path,
    tenant: str,
    learners: list[str],
    credentials: list[str],
    key: str,
    lrs: tuple[str, str],
) -> Path:
    """A ``schemathesis.toml`` that offers real ids half of the time.

    The API key goes with every request but those to ``/xapi/``, which carry
    the school's LRS client credentials (HTTP Basic) instead.
    """
    dictionaries = {
        "learners": learners[:5],
        "tenants": [tenant],
        "credentials": credentials or ["none"],
    }
    bindings = {
        "path.learner_id": "learners",
        "path.learner": "learners",
        "path.tenant_id": "tenants",
        "path.credential_id": "credentials",
    }
    basic = base64.b64encode(f"{lrs[0]}:{lrs[1]}".encode()).decode()
    lines = [f'headers = {{ Authorization = "Bearer {key}" }}', "", "[dictionaries]"]
    lines += [
        f"{name} = {{ values = {json.dumps(v)} }}" for name, v in dictionaries.items()
    ]
    lines += ["", "[parameters]"]
    lines += [
        f'"{key}" = {{ dictionary = "{name}", probability = 0.5 }}'
        for key, name in bindings.items()
    ]
    # A batch over 5,000 events is 413 Content Too Large, as OpenAPI says: a
    # refusal as right as the 4xx Schemathesis expects by default.
    refusals = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429, "5xx"]
    lines += ["", "[checks.negative_data_rejection]"]
    lines += [f"expected-statuses = {json.dumps(refusals)}"]
    lines += ["", "[[operations]]", 'include-path-regex = "^/xapi/"']
    lines += [f'headers = {{ Authorization = "Basic {basic}" }}']
    path = folder / "schemathesis.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def run_schemathesis(
    base: str, key: str, config: Path
) -> subprocess.CompletedProcess[str]:
    command = [
        *schemathesis_command(),
        "--config-file",
        str(config),
        "run",
        f"{base}/openapi.json",
        "--phases",
        "fuzzing,stateful",
        "--checks",
        "all",
        "--exclude-checks",
        CHECKS_LEFT_OUT,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--generation-deterministic",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--no-color",
        "--exclude-path-regex",
        ENDLESS,
    ]
    env = {**os.environ, "SCHEMATHESIS_TELEMETRY": "false"}
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=config.parent,
        env=env,
        check=False,
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, str, Path]]:
    """A served school: its base URL, its key and a Schemathesis config."""
    settings = Settings(public_url="http://test", redis_url=None)
    if request.param == "postgresql":
        postgres_engine().dispose()  # skip, or fail in CI, when it is down
        db = postgres_url()
    else:
        db = f"sqlite:///{tmp_path / 'school.db'}"
    stores = open_stores(db)
    engine = engine_over(stores, FixedClock(NOW), settings)
    tenant = new_tenant()
    learners = seed_school(engine, tenant)
    key = engine.create_key(tenant, "schemathesis")
    assert engine.xapi is not None
    client = engine.xapi.add_client(tenant, "schemathesis")
    lrs = (client.client.key, client.secret)
    with serve(create_api(engine, settings)) as base:
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as api:
            credentials = issue_credentials(api, learners)
        yield base, key, config_file(tmp_path, tenant, learners, credentials, key, lrs)
    sql = getattr(stores.log, "engine", None)
    if sql is not None:
        sql.dispose()  # no connection left open for the garbage collector


def test_schemathesis_finds_no_server_error_and_no_schema_violation(served):
    base, key, config = served

    result = run_schemathesis(base, key, config)

    report = result.stdout + result.stderr
    Path(os.environ.get("LEVELWISE_ST_REPORT", os.devnull)).write_text(report)
    assert result.returncode == 0, report[-12_000:]
    assert "✅ Fuzzing" in report and "✅ Stateful" in report
    tested = re.search(r"Tested: (\d+)", report)
    assert tested is not None and int(tested.group(1)) >= MIN_OPERATIONS, report


def test_the_run_would_see_a_server_error(tmp_path):
    """The harness is live: a route that answers 500 makes the run fail."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/boom")
    def boom(n: int) -> dict[str, Any]:
        if n > 3:
            raise RuntimeError("boom")
        return {"n": n}

    config = tmp_path / "schemathesis.toml"
    config.write_text("")
    with serve(app) as base:
        result = run_schemathesis(base, "none", config)
    assert result.returncode != 0
    assert "Server error" in result.stdout + result.stderr
