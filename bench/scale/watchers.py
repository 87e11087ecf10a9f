"""Watchers past one process (issue 18): one hot auction watched through K daphne processes
sharing the Redis channel layer, W anonymous websocket watchers spread evenly over them, a
driver placing at most ``--rate`` accepted bids a second (two bidders alternating).

    createdb -h 127.0.0.1 -U postgres gavel_scale_watchers
    .venv/bin/python bench/scale/watchers.py --watchers 10000 --servers 1 2 4 --seconds 20

Measured for each bid placed inside the window: from the bid's server time (its receipt, AUC-24)
until *every* watcher has a message covering its sequence number ("all watchers", p50/p99 over
the bids) and per (watcher, bid) pair; the same from the moment the driver got the bid's
acceptance (after the commit: the fan-out alone, without the bid's own wait for the database,
which is reported apart as receipt → acknowledgement); and
per server process, from its own Prometheus counters (``bidding.live``, scraped at the window's
start and end): the channel-layer messages its hub read, the group sends it made, the fan-outs
and frames it wrote, its CPU and memory. With one hub per process a process reads one layer
message per update however many processes there are; that is what the per-process figures
show across ``--servers``. Reuses bench/bidding's server environment, data set-up and clients
(watchers on a bare epoll loop, ≈10 µs of client CPU per frame, reported per run).

The script raises its open-files limit to the hard limit (inherited by the servers and client
processes it starts). Figures go to docs/performance.md with the load average; nothing here is
asserted.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
os.environ.setdefault(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gavel_scale_watchers"
)
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
sys.path.insert(0, str(ROOT / "bench" / "bidding"))

import clients  # noqa: E402
import run as bench  # noqa: E402  (bench/bidding/run.py: environment, set-up, statistics)

METRICS = (
    "gavel_live_layer_received_total",
    "gavel_live_group_sends_total",
    "gavel_live_fanouts_total",
    "gavel_live_deliveries_total",
)


def raise_open_files() -> tuple[int, int]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Servers:
    """K daphne processes on the Redis layer, each serving its Prometheus metrics."""

    def __init__(self, n: int, max_updates: float, ping_interval: int = 20) -> None:
        self.ports = [_free_port() for _ in range(n)]
        self.metrics_ports = [_free_port() for _ in range(n)]
        bench.OUT.mkdir(parents=True, exist_ok=True)
        self.procs: list[subprocess.Popen[bytes]] = []
        for port, mport in zip(self.ports, self.metrics_ports, strict=True):
            env = bench._env(
                True, {"BENCH_MAX_UPDATES": str(max_updates), "GAVEL_METRICS_PORT": str(mport)}
            )
            log = open(bench.OUT / f"daphne-{port}.log", "w")  # noqa: SIM115
            self.procs.append(
                subprocess.Popen(
                    [
                        bench.PY,
                        "-m",
                        "daphne",
                        "-b",
                        "127.0.0.1",
                        "-p",
                        str(port),
                        "--websocket_connect_timeout",
                        "120",
                        "--ping-interval",
                        str(ping_interval),
                        "config.asgi:application",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        deadline = time.time() + 90
        for port, proc in zip(self.ports, self.procs, strict=True):
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"daphne on {port} exited; see var/bench/daphne-{port}.log")
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                        break
                except OSError:
                    if time.time() > deadline:
                        raise RuntimeError(f"daphne on {port} did not start") from None
                    time.sleep(0.2)

    def urls(self, auction_id: int) -> list[str]:
        return [f"ws://127.0.0.1:{p}/ws/auctions/{auction_id}/" for p in self.ports]

    def metrics(self) -> list[dict[str, float]]:
        out = []
        for mport in self.metrics_ports:
            values = dict.fromkeys(METRICS, 0.0)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics", timeout=10) as r:
                    text = r.read().decode()
            except OSError:
                out.append({k: float("nan") for k in METRICS})
                continue
            for line in text.splitlines():
                name, _, value = line.partition(" ")
                if name in values:
                    values[name] = float(value)
            out.append(values)
        return out

    def cpu(self) -> list[float]:
        tick = os.sysconf("SC_CLK_TCK")
        out = []
        for proc in self.procs:
            with open(f"/proc/{proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out.append((int(fields[11]) + int(fields[12])) / tick)
        return out

    def rss_mb(self) -> list[float]:
        out = []
        for proc in self.procs:
            with open(f"/proc/{proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        out.append(round(int(line.split()[1]) / 1024, 1))
        return out

    def profile(self, signum: int) -> None:
        """With ``BENCH_PROFILE_DIR`` set, start (SIGUSR1) or write (SIGUSR2) each server's
        profile of its event-loop thread (bench/bidding/settings.py): the window only."""
        if os.environ.get("BENCH_PROFILE_DIR"):
            for proc in self.procs:
                proc.send_signal(signum)

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _delta(after: list[dict[str, float]], before: list[dict[str, float]]) -> list[dict[str, float]]:
    return [
        {k.removeprefix("gavel_live_").removesuffix("_total"): a[k] - b[k] for k in METRICS}
        for a, b in zip(after, before, strict=True)
    ]


def measure(
    n_servers: int,
    watchers: int,
    rate: float,
    seconds: float,
    client_procs: int,
    max_updates: float,
    ping_interval: int = 20,
) -> dict[str, Any]:
    servers = Servers(n_servers, max_updates, ping_interval)
    try:
        time.sleep(1.0)
        data = bench.setup_auction(2, f"bench watchers {watchers} x {n_servers} processes")
        urls = servers.urls(data["auction_id"])
        bidders = bench._bidder_specs(data, urls)
        # Connecting costs each watcher a handshake and a snapshot read on its server: leave
        # about 10 ms per watcher before the window (the connect time is recorded below).
        lead = 15 + watchers * 0.010
        start_at = time.time() + lead
        specs: list[dict[str, Any]] = [
            {
                "role": "driver",
                "bidders": bidders,
                "start_at": start_at,
                "seconds": seconds,
                "rate": rate,
                "start": data["start"],
                "inc": data["inc"],
            }
        ] + [
            {
                "role": "watchers",
                "urls": urls,
                "count": len(group),
                "start_at": start_at,
                "seconds": seconds,
            }
            for group in bench._split(list(range(watchers)), client_procs)
        ]
        t_launch = time.time()
        ctx = mp.get_context("spawn")
        with ctx.Pool(len(specs)) as pool:
            result = pool.map_async(clients.run, specs)
            while time.time() < start_at:
                time.sleep(0.05)
            load_start = os.getloadavg()
            servers.profile(signal.SIGUSR1)
            m0, cpu0, busy0 = servers.metrics(), servers.cpu(), bench.box_busy()
            while time.time() < start_at + seconds:
                time.sleep(0.05)
            m1, cpu1, busy1 = servers.metrics(), servers.cpu(), bench.box_busy()
            servers.profile(signal.SIGUSR2)
            load_end = os.getloadavg()
            rss = servers.rss_mb()
            parts = result.get(timeout=900)
    finally:
        servers.stop()

    driver, watcher_parts = parts[0], parts[1:]
    acks = {int(k): v for k, v in driver["acks"].items() if start_at <= v < start_at + seconds}
    firsts = [w for part in watcher_parts for w in part["first"]]
    counts = [c for part in watcher_parts for c in part["counts"]]
    acked = {int(k): v for k, v in driver.get("acked", {}).items()}
    all_delays: list[float] = []
    all_from_ack: list[float] = []
    per_watcher: list[float] = []
    missing = 0
    for seq, t_bid in acks.items():
        arrivals = []
        for seen in firsts:
            t = seen.get(seq)
            if t is None:
                missing += 1
            else:
                arrivals.append(t)
        per_watcher.extend(t - t_bid for t in arrivals)
        if arrivals:
            all_delays.append(max(arrivals) - t_bid)
            if seq in acked:
                all_from_ack.append(max(arrivals) - acked[seq])
    # The bid's own wait (receipt → commit → acknowledgement at the driver), apart: on a box
    # shared with other database work a commit can stall, and that is not the fan-out.
    bid_wait = [acked[s] - acks[s] for s in acks if s in acked]
    per_process = _delta(m1, m0)
    updates = len(acks)
    cpu = [round(b - a, 2) for a, b in zip(cpu0, cpu1, strict=True)]
    deliveries = sum(p["deliveries"] for p in per_process)
    return {
        "servers": n_servers,
        "watchers": watchers,
        "connected": sum(p["connected"] for p in watcher_parts),
        "connect_errors": sum(p.get("connect_errors", 0) for p in watcher_parts),
        "connect_seconds": round(
            max(p.get("connected_by", start_at) for p in watcher_parts) - t_launch, 1
        ),
        "connected_before_window": all(p.get("connected_by", 0) <= start_at for p in watcher_parts),
        "updates": updates,
        "updates_per_s": round(updates / seconds, 2),
        "driver_refused": driver["refused"],
        "driver_bid_latency_ms": {
            "p50": bench.ms(bench.pct(driver.get("latencies", []), 50)),
            "p99": bench.ms(bench.pct(driver.get("latencies", []), 99)),
        },
        "all_watchers_delay_ms": {
            "p50": bench.ms(bench.pct(all_delays, 50)),
            "p99": bench.ms(bench.pct(all_delays, 99)),
            "max": bench.ms(max(all_delays, default=None)),
        },
        "all_watchers_after_ack_ms": {
            "p50": bench.ms(bench.pct(all_from_ack, 50)),
            "p99": bench.ms(bench.pct(all_from_ack, 99)),
            "max": bench.ms(max(all_from_ack, default=None)),
        },
        "bid_receipt_to_ack_ms": {
            "p50": bench.ms(bench.pct(bid_wait, 50)),
            "p99": bench.ms(bench.pct(bid_wait, 99)),
        },
        "watcher_sample": watcher_parts[0].get("sample", [])[-40:],
        "per_watcher_delay_ms": {
            "p50": bench.ms(bench.pct(per_watcher, 50)),
            "p99": bench.ms(bench.pct(per_watcher, 99)),
        },
        "missing_deliveries": missing,
        "messages_per_watcher_per_s": round(statistics.mean(counts) / seconds, 2)
        if counts
        else None,
        "per_process": [
            {
                **{k: int(v) for k, v in p.items()},
                "layer_received_per_update": round(p["layer_received"] / updates, 2)
                if updates
                else None,
                "cpu_percent": round(100 * c / seconds, 1),
                "cpu_us_per_delivery": round(c / p["deliveries"] * 1e6, 1)
                if p["deliveries"]
                else None,
                "rss_mb": r,
            }
            for p, c, r in zip(per_process, cpu, rss, strict=True)
        ],
        "layer_messages_read_per_update_all_processes": round(
            sum(p["layer_received"] for p in per_process) / updates, 2
        )
        if updates
        else None,
        "group_sends_per_update": round(sum(p["group_sends"] for p in per_process) / updates, 2)
        if updates
        else None,
        "deliveries_per_s": round(deliveries / seconds, 1),
        "server_cpu_percent": round(100 * sum(cpu) / seconds, 1),
        "server_cpu_us_per_delivery": round(sum(cpu) / deliveries * 1e6, 1) if deliveries else None,
        "client_cpu_seconds": [round(p.get("cpu_seconds", 0), 1) for p in parts],
        # The watcher processes' own CPU per frame read, in the window (they share the box
        # with the servers: this says how much of it the measuring took).
        "client_cpu_us_per_frame": [p.get("cpu_us_per_frame") for p in watcher_parts],
        "client_cpu_percent": round(
            100 * sum(p.get("window_cpu_seconds") or 0 for p in watcher_parts) / seconds, 1
        ),
        "client_frames_per_wakeup": [p.get("events_per_wakeup") for p in watcher_parts],
        "box_cpu_percent": round(100 * (busy1[0] - busy0[0]) / max(1.0, busy1[1] - busy0[1]), 1),
        "loadavg_start": [round(x, 2) for x in load_start],
        "loadavg_end": [round(x, 2) for x in load_end],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--watchers", type=int, nargs="+", default=[10_000])
    parser.add_argument("--servers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--rate", type=float, default=5.0, help="accepted bids a second")
    parser.add_argument("--max-updates", type=float, default=5.0, help="per watcher a second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--client-procs", type=int, default=3)
    parser.add_argument("--ping-interval", type=int, default=20, help="daphne's auto-ping, seconds")
    args = parser.parse_args()
    nofile = raise_open_files()
    bench.migrate()
    report: dict[str, Any] = {
        "machine": {**bench.machine(), "open_files": nofile},
        "args": vars(args),
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "results": [],
    }
    for w in args.watchers:
        for k in args.servers:
            print(f"--- {w} watchers on {k} process(es), load {os.getloadavg()}", flush=True)
            r = measure(
                k,
                w,
                args.rate,
                args.seconds,
                args.client_procs,
                args.max_updates,
                args.ping_interval,
            )
            report["results"].append(r)
            print(json.dumps(r, ensure_ascii=False), flush=True)
    bench.OUT.mkdir(parents=True, exist_ok=True)
    path = bench.OUT / f"watchers-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(f"written {path}")


if __name__ == "__main__":
    main()
