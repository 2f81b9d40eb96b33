"""Load test of `impostor serve` (impostor.serve) with wrk: requests/s, names/s and latency percentiles.

    python benchmarks/serve_load.py                          # 10 s per run; writes benchmarks/results/serve.{md,json}
    python benchmarks/serve_load.py --duration 5 --json /tmp/serve.json --md /tmp/serve.md

The server runs in a subprocess (make_server on a free port, the shipped lexicons); wrk drives it with
benchmarks/serve_check.lua, which POSTs /check bodies built from the names of benchmarks/eval/benign.tsv and
impostors.tsv (shuffled, fixed seed). Runs:

  * single: {"name": ...} per request, 1 and 8 connections;
  * batch:  {"names": [100 names]} per request, each name made distinct (a number appended) so that
    check_many's memo of recent names never answers; 1 and 8 connections;
  * batch, memo: 100-name bodies with the names as listed, after one request with every name: the memo answers;
  * the single and batch runs at 8 connections again with --processes server processes (forked after the
    detector is loaded, one SO_REUSEPORT socket each on the same port): what more than one GIL gives.

Each run reports server CPU (cores used, from /proc) and wrk's own CPU: on a small machine wrk competes with
the server for the same cores. Timings are wall-clock on whatever else the machine is doing: compare rows of one
run, not across runs. Needs wrk (`apt-get install wrk`).
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import platform
import random
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LUA = ROOT / "benchmarks" / "serve_check.lua"
EVAL = [ROOT / "benchmarks" / "eval" / "benign.tsv", ROOT / "benchmarks" / "eval" / "impostors.tsv"]
RESULTS = ROOT / "benchmarks" / "results"
TICK = os.sysconf("SC_CLK_TCK")

# The server: load the detector, then serve on a free port. With N > 1 processes, fork after the load (the
# lexicons are shared copy-on-write) and give each process its own socket on the same port with SO_REUSEPORT,
# so that the kernel spreads connections over them (one accept queue shared by forked processes lets the first
# one to wake take every keep-alive connection).
SERVER = r"""
import os, socket, sys
from impostor import Detector
from impostor.serve import ImpostorServer, make_server
processes, max_names = int(sys.argv[1]), int(sys.argv[2])
detector = Detector()

class ReusePort(ImpostorServer):
    def server_bind(self):
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        super().server_bind()

if processes == 1:
    server = make_server(detector, port=0, max_names=max_names)
else:
    server = ReusePort(("127.0.0.1", 0), detector, 1_048_576, max_names)
port = server.server_address[1]
print("port", port, flush=True)
for _ in range(processes - 1):
    if os.fork() == 0:
        server.socket.close()
        server = ReusePort(("127.0.0.1", port), detector, 1_048_576, max_names)
        break
print("pid", os.getpid(), flush=True)
server.serve_forever()
"""


def eval_names() -> list[str]:
    names = []
    for path in EVAL:
        with path.open(encoding="utf-8") as f:
            rows = (line for line in f if not line.startswith("#"))
            names += [row["name"] for row in csv.DictReader(rows, delimiter="\t", quoting=csv.QUOTE_NONE)]
    random.Random(20240705).shuffle(names)
    return names


class Server:
    """`processes` server processes on one free port, killed (the whole process group) on exit."""

    def __init__(self, processes: int, max_names: int) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER, str(processes), str(max_names)],
                                     stdout=subprocess.PIPE, text=True, start_new_session=True)
        self.port = int(self._line("port"))
        self.pids = [int(self._line("pid")) for _ in range(processes)]
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("serve_load: the server did not answer GET /health within 60 s") from None
                time.sleep(0.1)

    def _line(self, key: str) -> str:
        line = self.proc.stdout.readline().split()
        if len(line) != 2 or line[0] != key:
            raise SystemExit(f"serve_load: the server process failed to start (exit code {self.proc.poll()})")
        return line[1]

    def check_all(self, names: list[str]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        conn.request("POST", "/check", body=json.dumps({"names": names}).encode(),
                     headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"serve_load: POST /check of all {len(names)} names answered {response.status}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> list[float]:
        """CPU seconds (user + system, all threads) of each server process."""
        out = []
        for pid in self.pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            out.append((int(fields[11]) + int(fields[12])) / TICK)
        return out

    def peak_rss_mb(self) -> float:
        peak = 0
        for pid in self.pids:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        return peak / 1024

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(10)


def wrk(server: Server, names_file: Path, connections: int, threads: int, duration: int, batch: int,
        mode: str) -> tuple[dict, list[str]]:
    threads = max(1, min(threads, connections))
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", str(LUA),
           server.url, "--", str(names_file), str(batch), mode, str(threads)]
    cpu0, children0, machine0 = server.cpu_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN), machine_cpu()
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"serve_load: wrk failed ({done.returncode}): {shlex.join(cmd)}\n{done.stdout}{done.stderr}")
    out = done.stdout
    cpu1, children1, machine1 = server.cpu_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN), machine_cpu()
    line = next((text for text in out.splitlines() if text.startswith("WRKJSON ")), None)
    if line is None:
        raise SystemExit(f"serve_load: no WRKJSON line in wrk's output:\n{out}")
    stats = json.loads(line[len("WRKJSON "):])
    seconds = stats["duration_us"] / 1e6
    stats["server_cpu_by_process"] = [(b - a) / seconds for a, b in zip(cpu0, cpu1, strict=True)]
    stats["server_cpu_cores"] = sum(stats["server_cpu_by_process"])
    wrk_cpu = children1.ru_utime + children1.ru_stime - children0.ru_utime - children0.ru_stime
    stats["wrk_cpu_cores"] = wrk_cpu / seconds
    stats["machine_busy_cores"] = (machine1[0] - machine0[0]) / seconds
    stats["steal_cores"] = (machine1[1] - machine0[1]) / seconds
    return stats, cmd


def machine_cpu() -> tuple[float, float]:
    """Seconds of CPU the whole machine spent busy (all cores, /proc/stat) and stolen by the hypervisor."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle, iowait, steal = fields[3], fields[4], fields[7] if len(fields) > 7 else 0
    return (sum(fields[:8]) - idle - iowait - steal) / TICK, steal / TICK


def row(label: str, processes: int, connections: int, batch: int, mode: str, stats: dict, server: Server) -> dict:
    seconds = stats["duration_us"] / 1e6
    errors = sum(stats["errors"].values())
    rps = stats["requests"] / seconds
    return {"run": label, "processes": processes, "connections": connections, "names_per_request": batch,
            "mode": mode, "requests": stats["requests"], "seconds": round(seconds, 2), "errors": errors,
            "requests_per_s": round(rps, 1), "names_per_s": round(rps * batch, 1),
            "latency_ms": {k: round(stats["latency_us"][k] / 1000, 2) for k in ("p50", "p90", "p99", "max")},
            "server_cpu_cores": round(stats["server_cpu_cores"], 2), "wrk_cpu_cores": round(stats["wrk_cpu_cores"], 2),
            "other_cpu_cores": round(max(0.0, stats["machine_busy_cores"] - stats["server_cpu_cores"]
                                         - stats["wrk_cpu_cores"]), 2),
            "steal_cores": round(stats["steal_cores"], 2),
            "server_cpu_by_process": [round(x, 2) for x in stats["server_cpu_by_process"]],
            "server_peak_rss_mb": round(server.peak_rss_mb(), 1)}


def markdown(rows: list[dict], meta: dict) -> str:
    lines = [
        "# impostor serve: load test",
        "",
        f"Command: `{meta['command']}`",
        "",
        f"Machine: {meta['cpus']} cores ({meta['cpu_model']}), shared with other work, so noisy; load average "
        f"{meta['loadavg_before']} before the run. Python {meta['python']}, {meta['wrk']}, {meta['date']}. "
        f"{meta['duration_s']:g} s per run after a {meta['warmup_s']:g} s warm-up per server; wrk and the "
        f"server share the machine. Names: {meta['names']} lines of benchmarks/eval/benign.tsv and impostors.tsv, "
        "shuffled.",
        "",
        "| run | server processes | connections | names/request | requests/s | names/s | p50 ms | p90 ms | p99 ms "
        "| errors | server CPU (cores) | wrk CPU (cores) | other CPU (cores) | peak RSS per server process (MB) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lat = r["latency_ms"]
        lines.append(f"| {r['run']} | {r['processes']} | {r['connections']} | {r['names_per_request']} "
                     f"| {r['requests_per_s']:,.0f} | {r['names_per_s']:,.0f} | {lat['p50']:.2f} | {lat['p90']:.2f} "
                     f"| {lat['p99']:.2f} | {r['errors']} | {r['server_cpu_cores']:.2f} | {r['wrk_cpu_cores']:.2f} "
                     f"| {r['other_cpu_cores']:.2f} | {r['server_peak_rss_mb']:.0f} |")
    lines += [
        "",
        "- single: `{\"name\": ...}` per request (Detector.check, which keeps no memo). batch: "
        f"`{{\"names\": [...]}}` with {rows[-1]['names_per_request'] if rows else 100} names per request "
        "(Detector.check_many); *distinct* appends a number unique to the request to each name, so every name is "
        "screened anew; *memo* sends the names as listed after one request with all of them, so check_many's "
        "memo of recent names answers: the cost of HTTP and JSON alone.",
        f"- In this process, without HTTP, Detector.check takes {meta['check_us_in_process']['plain']:.0f} µs a "
        f"name on average on these names ({meta['check_us_in_process']['distinct']:.0f} µs with a number "
        "appended): they are hard ones (impostors and traps), slower than the realistic corpus of speed.md, so "
        "the single and distinct rows are a floor for ordinary traffic.",
        "- Latency is wrk's, per request (a batch request carries all its names). errors = wrk's connect, read, "
        "write, timeout and non-2xx counts.",
        "- server CPU is the server processes' user + system time over the run: 1.00 means one core busy, the most "
        "one process can use for Python code (the GIL); wrk needs some of the rest. other CPU is what the rest of "
        "the machine (other processes, this script) used meanwhile; hypervisor steal is in the JSON.",
        "- server peak RSS includes check_many's memo (up to 262,144 verdicts), which the distinct batch runs fill.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="whole seconds per wrk run (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="whole seconds of single-name load before measuring")
    parser.add_argument("--connections", default="1,8", help="comma-separated connection counts (default 1,8)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (at most one per connection)")
    parser.add_argument("--batch", type=int, default=100, help="names per batch request (default 100)")
    parser.add_argument("--processes", type=int, default=2,
                        help="server processes for the multi-process rows; 1 leaves them out (default 2)")
    parser.add_argument("--json", type=Path, default=RESULTS / "serve.json", help="write the figures here")
    parser.add_argument("--md", type=Path, default=RESULTS / "serve.md", help="write the markdown table here")
    args = parser.parse_args()

    if shutil.which("wrk") is None:
        sys.exit("serve_load: wrk is not installed. Install it with `apt-get install wrk` (Debian/Ubuntu), "
                 "`brew install wrk` (macOS), or build it from https://github.com/wg/wrk, then run this again.")
    connections = [int(c) for c in args.connections.split(",")]
    most = max(connections)
    names = eval_names()
    check_us = in_process_check_us(names)
    meta = {
        "command": "python " + shlex.join([os.path.relpath(__file__, ROOT), *sys.argv[1:]]),
        "cpus": os.cpu_count(), "cpu_model": cpu_model(),
        "loadavg_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "wrk": subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("[")[0].strip(),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"), "duration_s": args.duration, "warmup_s": args.warmup,
        "names": len(names), "wrk_threads": args.threads, "check_us_in_process": check_us,
    }
    plan = [(1, c, 1, "repeat", "single") for c in connections]
    plan += [(1, c, args.batch, "distinct", "batch, distinct") for c in connections]
    plan += [(1, most, args.batch, "repeat", "batch, memo")]
    if args.processes > 1:
        plan += [(args.processes, most, 1, "repeat", "single"),
                 (args.processes, most, args.batch, "distinct", "batch, distinct")]

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        names_file = Path(tmp) / "names.txt"
        names_file.write_text("".join(json.dumps(n, ensure_ascii=False) + "\n" for n in names), encoding="utf-8")
        for processes in sorted({p[0] for p in plan}):
            with Server(processes, max(args.batch, 10_000)) as server:
                if args.warmup > 0:
                    wrk(server, names_file, most, args.threads, args.warmup, 1, "repeat")
                for p, c, batch, mode, label in plan:
                    if p != processes:
                        continue
                    if mode == "repeat" and batch > 1:
                        server.check_all(names)  # the memo holds every name: this row measures memo answers
                    stats, cmd = wrk(server, names_file, c, args.threads, args.duration, batch, mode)
                    rows.append(row(label, p, c, batch, mode, stats, server))
                    r = rows[-1]
                    lat = r["latency_ms"]
                    print(f"{label:15} procs={p} c={c:<3} {r['requests_per_s']:>9,.0f} req/s "
                          f"{r['names_per_s']:>10,.0f} names/s  p50 {lat['p50']:.2f} p90 {lat['p90']:.2f} "
                          f"p99 {lat['p99']:.2f} ms  errors {r['errors']}  server CPU "
                          f"{r['server_cpu_cores']:.2f}  wrk CPU {r['wrk_cpu_cores']:.2f}", flush=True)
                    meta.setdefault("wrk_command_example", shlex.join(cmd))

    text = markdown(rows, meta)
    print()
    print(text)
    for path, content in ((args.md, text), (args.json, json.dumps({"meta": meta, "runs": rows}, indent=2,
                                                                   ensure_ascii=False) + "\n")):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")


def in_process_check_us(names: list[str]) -> dict[str, float]:
    """Mean Detector.check time per name (µs) in this process, for the plain and the numbered names."""
    from impostor import Detector

    detector = Detector()
    out = {}
    for label, batch in (("plain", names), ("distinct", [f"{n}{i}" for i, n in enumerate(names)])):
        start = time.perf_counter()
        for name in batch:
            detector.check(name)
        out[label] = round((time.perf_counter() - start) / len(batch) * 1e6, 1)
    return out


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    main()
