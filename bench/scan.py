"""Pod scan benchmark: 5,000 pods, 100 of them broken, one scan with log fetches.

    .venv/bin/python bench/scan.py [--pods 5000] [--broken 100] [--concurrency 8] [--runs 3]

The real `kubernetes` client talks HTTP to the kmock API server of the tests
(tests/pod_scanner/kube_mock.py) serving the pods in pages of 500; every broken pod is a
crash loop of its own Deployment with a 100-line previous log, so each scan makes 10
list requests, 100 log requests and 100 reports. Reports go to a live local gateway
(`python -m shared.gateway`, SQLite in a temporary directory). The first scan creates
100 bugs, the later ones are re-scans (the server keeps the counts). Target: ≤ 3 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from functions.pod_scanner.podscan import Kube, ScanConfig, scan  # noqa: E402
from functions.pod_scanner.podscan.report import Reporter  # noqa: E402
from tests.pod_scanner import pods as P  # noqa: E402
from tests.pod_scanner.kube_mock import FakeCluster, KubeApi  # noqa: E402
from tests.support.gateway import LiveGateway  # noqa: E402

TARGET_SECONDS = 3.0


def build_cluster(total: int, broken: int) -> FakeCluster:
    cluster = FakeCluster()
    log = "".join(f"2026-11-28T05:59:00Z INFO handled request {i} in 12ms\n" for i in range(300))
    log += "Traceback (most recent call last):\nRuntimeError: cannot connect to redis:6379\n"
    for i in range(total):
        namespace = f"team-{i % 20:02d}"
        if i < broken:
            rs, pod_hash = f"svc{i:04d}-6b8c9d7f5", "6b8c9d7f5"
            name = f"{rs}-x{i:04d}"
            cluster.add(P.crashloop(name, namespace, app=f"svc{i:04d}", rs=rs, pod_hash=pod_hash, restarts=5))
            cluster.set_log(namespace, name, "app", previous=log)
        else:
            app = f"web{i % 400:03d}"
            cluster.add(P.healthy(f"{app}-7c9f8b6d5-h{i:05d}", namespace, app=app))
    return cluster


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pods", type=int, default=5000)
    parser.add_argument("--broken", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    cluster = build_cluster(args.pods, args.broken)
    with tempfile.TemporaryDirectory() as tmp, KubeApi(cluster) as api, \
            LiveGateway(f"sqlite:///{tmp}/bench.db", log_path=Path(tmp) / "gateway.log") as gw:
        config = ScanConfig(log_center_url=gw.url, concurrency=args.concurrency, log_tail_lines=100)
        times, summaries = [], []
        for _ in range(args.runs):
            client = api.api_client(config.concurrency)
            reporter = Reporter(config)
            cluster.requests.clear()
            started = time.perf_counter()
            summary = scan(config, Kube(client), reporter, now=P.NOW)
            times.append(time.perf_counter() - started)
            summaries.append((summary, len([r for r in cluster.requests if r[0].endswith("/log")]),
                              len([r for r in cluster.requests if r[0] == "/api/v1/pods"])))
            reporter.close()
            client.close()

    first, log_requests, list_requests = summaries[0]
    print(f"Pod scan: {args.pods} pods ({args.broken} broken), page size {config.page_size}, "
          f"concurrency {config.concurrency}, {args.runs} runs")
    print(f"  per scan: {list_requests} list requests, {log_requests} log requests, {first['reported']} reports")
    print(f"  listing + detection: {statistics.median(s['list_seconds'] for s, _, _ in summaries):.2f} s median; "
          f"the rest is log fetches and reports")
    print(f"  first scan (creates bugs): {times[0]:.2f} s  "
          f"[pods {first['pods_scanned']}, problems {first['problems_found']}, reported {first['reported']}, "
          f"failed {first['failed']}, new bugs {first['new_bugs']}]")
    if len(times) > 1:
        rescans = times[1:]
        print(f"  re-scans: median {statistics.median(rescans):.2f} s, max {max(rescans):.2f} s "
              f"[new bugs {summaries[-1][0]['new_bugs']}]")
    worst = max(times)
    verdict = "OK" if worst <= TARGET_SECONDS else "OVER TARGET"
    print(f"  worst scan {worst:.2f} s vs target {TARGET_SECONDS:.1f} s: {verdict}")
    ok = first["pods_scanned"] == args.pods and first["reported"] == args.broken and first["failed"] == 0
    return 0 if ok and worst <= TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
