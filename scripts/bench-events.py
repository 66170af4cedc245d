#!/usr/bin/env python3
"""GET /events under load: N subscribers on a generated PBX while the
simulator makes C changes a second; reports whether every subscriber got
every change, the server's CPU and memory. Run by scripts/bench-events.sh.

A subscriber "got every change" when the ids it received run without a gap
(a `snapshot` event legitimately restarts the count: it says the subscriber
fell behind and was given the whole list instead)."""

import argparse
import asyncio
import json
import os
import time


async def ami_driver(port, user, secret, names, rate, seconds, sent):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    await r.readline()  # banner
    w.write(f"Action: Login\r\nUsername: {user}\r\nSecret: {secret}\r\nEvents: off\r\n\r\n".encode())
    await w.drain()
    await r.readuntil(b"\r\n\r\n")
    interval = 1.0 / rate
    start = time.monotonic()
    i = 0
    registered = set()
    while time.monotonic() - start < seconds:
        name = names[i % len(names)]
        action = "SimUnregister" if name in registered else "SimRegister"
        registered.symmetric_difference_update({name})
        w.write(f"Action: {action}\r\nActionID: b{i}\r\nEndpoint: {name}\r\n\r\n".encode())
        await w.drain()
        await r.readuntil(b"\r\n\r\n")
        sent[0] += 1
        i += 1
        await asyncio.sleep(max(0.0, start + i * interval - time.monotonic()))
    w.close()


async def subscriber(port, stats, stop, mine):
    # HTTP/1.0: the body comes as it is, not cut into chunks. A snapshot of
    # 5,000 endpoints is one line of megabytes.
    r, w = await asyncio.open_connection("127.0.0.1", port, limit=1 << 26)
    w.write(b"GET /events HTTP/1.0\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n")
    await w.drain()
    await r.readuntil(b"\r\n\r\n")  # headers
    last = None
    event, ident = None, None
    # A plain readline: wait_for around it can swallow a line that arrives as
    # it times out (Python 3.11). The tasks are cancelled at the end.
    while not stop.is_set():
        line = await r.readline()
        if not line:
            stats["closed"] += 1
            return
        line = line.rstrip(b"\r\n")
        if line.startswith(b"id:"):
            ident = int(line[3:].strip())
        elif line.startswith(b"event:"):
            event = line[6:].strip()
        elif line == b"" and event is not None:
            if event == b"snapshot":
                stats["snapshots"] += 1
                mine["start"] = ident
            else:
                stats["events"] += 1
                if last is not None and ident != last + 1:
                    stats["gaps"] += 1
            last = ident
            mine["last"] = ident
            event = None
    stats["max_id"] = max(stats["max_id"], last or 0)
    w.close()


def proc_usage(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
    return ticks / os.sysconf("SC_CLK_TCK"), rss


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--http", type=int, required=True)
    ap.add_argument("--ami", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--user", default="bench")
    ap.add_argument("--secret", default="bench-sim-secret")
    ap.add_argument("--subscribers", type=int, default=1000)
    ap.add_argument("--rate", type=int, default=100)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--first", type=int, default=10000)
    ap.add_argument("--endpoints", type=int, default=5000)
    a = ap.parse_args()

    stats = {"events": 0, "snapshots": 0, "gaps": 0, "closed": 0, "max_id": 0}
    stop = asyncio.Event()
    mine = [{"start": None, "last": None} for _ in range(a.subscribers)]
    subs = [asyncio.create_task(subscriber(a.http, stats, stop, m)) for m in mine]
    # Every subscriber has its snapshot (megabytes each) before the load starts.
    t_sub = time.monotonic()
    while stats["snapshots"] < a.subscribers and time.monotonic() - t_sub < 120:
        await asyncio.sleep(0.2)
    connected_snapshots = stats["snapshots"]
    print(f"subscribed: {connected_snapshots} snapshots in {time.monotonic() - t_sub:.1f} s", flush=True)
    cpu0, _ = proc_usage(a.pid)
    t0 = time.monotonic()
    sent = [0]
    names = [str(a.first + i) for i in range(0, a.endpoints, max(1, a.endpoints // 500))]
    rss_peak = 0

    async def sample():
        nonlocal rss_peak
        while not stop.is_set():
            rss_peak = max(rss_peak, proc_usage(a.pid)[1])
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample())
    # The changes come from another process: this one's event loop is busy reading.
    import multiprocessing
    shared = multiprocessing.Value("i", 0)

    def drive():
        box = [0]
        asyncio.run(ami_driver(a.ami, a.user, a.secret, names, a.rate, a.seconds, box))
        shared.value = box[0]

    driver = multiprocessing.Process(target=drive)
    driver.start()
    while driver.is_alive():
        await asyncio.sleep(0.2)
    sent[0] = shared.value
    elapsed_load = time.monotonic() - t0
    cpu1, rss = proc_usage(a.pid)
    # Then until every subscriber has read up to the newest id (or 60 s).
    t_drain = time.monotonic()
    while time.monotonic() - t_drain < 60:
        newest = max((m["last"] or 0) for m in mine)
        if all(m["last"] == newest for m in mine):
            break
        await asyncio.sleep(0.2)
    drain = time.monotonic() - t_drain
    newest = max((m["last"] or 0) for m in mine)
    complete = sum(1 for m in mine if m["last"] == newest)
    if complete < len(mine):
        from collections import Counter
        print("last ids read:", Counter(m["last"] for m in mine).most_common(5), flush=True)
    elapsed = elapsed_load
    stop.set()
    for t in subs:
        t.cancel()
    await asyncio.gather(*subs, sampler, return_exceptions=True)
    per_sub = stats["events"] / max(1, a.subscribers)
    print(json.dumps({
        "subscribers": a.subscribers,
        "changes_sent_per_s": round(sent[0] / a.seconds, 1),
        "events_received_per_subscriber": round(per_sub, 1),
        "changes_numbered_by_the_feed": newest - min((m["start"] or 0) for m in mine),
        "subscribers_with_every_change": complete,
        "client_drain_after_load_s": round(drain, 1),
        "gaps": stats["gaps"],
        "snapshots_after_start": stats["snapshots"] - connected_snapshots,
        "streams_closed": stats["closed"],
        "server_cpu_percent_of_one_core": round(100 * (cpu1 - cpu0) / elapsed, 1),
        "server_rss_mb_peak": round(rss_peak / 1024, 1),
    }, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
