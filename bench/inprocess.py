"""What one SDK request costs inside the process: Python calls and microseconds, no server, no network.

Stable where ``make bench`` is not: the Python call count of a request does not
depend on how busy the machine is, so a change to the request path shows as a
different count even on a loaded machine. The microseconds are best-of-N and
still move with the load; quote them with the load average.

    .venv/bin/python bench/inprocess.py                # every case, 2000 requests x 3 rounds
    .venv/bin/python bench/inprocess.py --requests 500 --cases flags,document
    .venv/bin/python bench/inprocess.py --api ../other-checkout/api   # the same figures for another tree

It builds the benchmark data set (``create_benchmark_data``, small) in a
temporary SQLite database with the local settings and the per-process caches,
warms every case once, then for each case counts the Python calls of one request
(``sys.setprofile``) and times ``--requests`` requests with Django's test client.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

API = Path(__file__).resolve().parent.parent / "api"

CASES = {
    "flags": ("GET", "/api/v1/flags/", "client"),
    "flags_feature": ("GET", "/api/v1/flags/?feature=bench_feature_07", "client"),
    "identities": ("GET", "/api/v1/identities/?identifier={identifier}", "client"),
    "document": ("GET", "/api/v1/environment-document/", "server"),
    "unleash_features": ("GET", "/api/client/features", "unleash"),
    "ofrep_bulk": ("POST", "/ofrep/v1/evaluate/flags", "ofrep"),
}


def calls_of(function) -> Counter[str]:
    """The Python functions one call of ``function`` runs, by file, line and name, and how often."""
    called: Counter[str] = Counter()

    def profile(frame, event, arg):
        if event == "call":
            code = frame.f_code
            called[f"{code.co_filename.rsplit('site-packages/', 1)[-1]}:{code.co_firstlineno} {code.co_name}"] += 1

    sys.setprofile(profile)
    try:
        function()
    finally:
        sys.setprofile(None)
    return called


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--api", type=Path, default=API, help="The api/ directory to measure (another checkout's).")
    parser.add_argument(
        "--calls", action="store_true", help="Also list the functions one request calls, and how often."
    )
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="banderole-inprocess-")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "app.settings.local",
            "SQLITE_PATH": str(Path(workdir) / "db.sqlite3"),
            # A busy process: the version is re-checked at most once a minute.
            "ENVIRONMENT_VERSION_CHECK_SECONDS": "60",
            "LOG_LEVEL": "WARNING",
        }
    )
    for name in ("DATABASE_URL", "REPLICA_DATABASE_URLS"):
        os.environ.pop(name, None)
    sys.path.insert(0, str(args.api))
    os.chdir(args.api)

    import django

    django.setup()
    from io import StringIO

    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    out = StringIO()
    call_command("create_benchmark_data", "--identities", "50", stdout=out, stderr=StringIO())
    data = json.loads(out.getvalue().strip().splitlines()[-1])
    identifier = data["identifier_format"] % 7
    headers = {
        "client": {"HTTP_X_ENVIRONMENT_KEY": data["client_key"]},
        "server": {"HTTP_X_ENVIRONMENT_KEY": data["server_key"]},
        "unleash": {"HTTP_AUTHORIZATION": data["server_key"]},
        "ofrep": {"HTTP_AUTHORIZATION": f"Bearer {data['client_key']}"},
    }
    client = Client()

    def request(case: str):
        method, path, auth = CASES[case]
        path = path.format(identifier=identifier)
        if method == "GET":
            return client.get(path, **headers[auth])
        body = json.dumps({"context": {"targetingKey": identifier, "plan": "pro"}})
        return client.post(path, body, content_type="application/json", **headers[auth])

    print(f"{'case':<18} {'status':>6} {'python calls':>13} {'µs/request':>11}   (load {os.getloadavg()[0]:.1f})")
    for case in args.cases.split(","):
        for _ in range(3):
            response = request(case)
        called = calls_of(lambda case=case: request(case))
        calls = sum(called.values())
        rounds = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            for _ in range(args.requests):
                request(case)
            rounds.append((time.perf_counter() - started) / args.requests * 1e6)
        print(
            f"{case:<18} {response.status_code:>6} {calls:>13} {min(rounds):>11.0f}   (median {statistics.median(rounds):.0f})"
        )
        if args.calls:
            for name, count in sorted(called.items()):
                print(f"    {count:>5} {name}")


if __name__ == "__main__":
    main()
