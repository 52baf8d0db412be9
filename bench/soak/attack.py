#!/usr/bin/env python3
"""Slow clients for bench/soak.sh, all in one asyncio loop, loopback only.

Three kinds of connection, each reconnecting as soon as the server closes it,
until --seconds have passed (or SIGTERM/SIGINT):

  stall    POST / with `Content-Length: 1048576`, then 1048575 bytes as fast
           as the server takes them, then nothing: the body never ends.
  trickle  the same headers, then --trickle-bytes every --trickle-interval
           seconds (below the server's 5 s stall limit), for as long as the
           server reads them.
  loris    a request line and a Host header, then one more header line every
           --loris-interval seconds: the headers never end.

--slow-body connections are split between stall and trickle by
--trickle-percent; --loris connections are the slowloris.

For every connection it records how it ended (the status the server
answered, or a close/reset with no answer, or still open at the end), how
long it lived, and for a stalled body how long after its last byte went out
the server gave up on it. Progress goes to stdout every 5 s; the summary is
written as JSON to --out.
"""

import argparse
import asyncio
import ipaddress
import json
import signal
import statistics
import sys
import time

BODY_SIZE = 1024 * 1024  # the Content-Length every slow body announces
CHUNK = b"x" * 65536


def percentile(values, q):
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return round(ordered[index], 3)


def spread(values):
    """min / median / p99 / max of a list of seconds."""
    if not values:
        return None
    return {
        "n": len(values),
        "min": round(min(values), 3),
        "median": round(statistics.median(values), 3),
        "p99": percentile(values, 99),
        "max": round(max(values), 3),
    }


class Stats:
    """What happened to one kind of connection."""

    def __init__(self, name):
        self.name = name
        self.opened = 0
        self.active = 0
        self.connect_errors = {}
        self.endings = {}  # "answered 408", "closed", "reset", "open at end"
        self.lifetimes = []  # connect -> server answered or closed, s
        self.stall_to_end = []  # last byte sent -> server answered or closed, s
        self.open_at_end_ages = []
        self.bytes_sent = 0
        self.write_errors = 0

    def end(self, how):
        self.endings[how] = self.endings.get(how, 0) + 1

    def summary(self):
        return {
            "opened": self.opened,
            "connect_errors": self.connect_errors,
            "endings": dict(sorted(self.endings.items())),
            "lifetime_s": spread(self.lifetimes),
            "last_byte_to_end_s": spread(self.stall_to_end),
            "open_at_end": len(self.open_at_end_ages),
            "open_at_end_age_s": spread(self.open_at_end_ages),
            "bytes_sent": self.bytes_sent,
            "write_errors": self.write_errors,
        }


class Attack:
    def __init__(self, args):
        self.args = args
        self.stop = asyncio.Event()
        self.started = time.monotonic()
        self.stats = {name: Stats(name) for name in ("stall", "trickle", "loris")}

    # ------------------------------------------------------------ helpers
    async def connect(self, stats):
        """A connection, or None after a pause (server not there)."""
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.args.host, self.args.port), 10
            )
        except (OSError, asyncio.TimeoutError) as err:
            name = type(err).__name__
            stats.connect_errors[name] = stats.connect_errors.get(name, 0) + 1
            await self.pause(0.2)
            return None
        stats.opened += 1
        return reader, writer

    async def pause(self, seconds):
        """Sleeps, returning early (True) when asked to stop."""
        try:
            await asyncio.wait_for(self.stop.wait(), seconds)
            return True
        except asyncio.TimeoutError:
            return False

    @staticmethod
    async def read_answer(reader):
        """Reads what the server sends until it closes: (status|None, how)."""
        data = b""
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                if len(data) < 4096:
                    data += chunk
        except (ConnectionResetError, BrokenPipeError, OSError):
            if not data:
                return None, "reset"
        if data.startswith(b"HTTP/"):
            parts = data.split(b" ", 2)
            if len(parts) > 1 and parts[1].isdigit():
                return int(parts[1]), f"answered {int(parts[1])}"
        if data:
            return None, "answered garbage"
        return None, "closed"

    async def until(self, task, *others):
        """Waits for `task`, or for any of `others`, or for stop."""
        stopper = asyncio.ensure_future(self.stop.wait())
        try:
            await asyncio.wait({task, stopper, *others}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()

    async def one(self, stats, send):
        """One connection: `send(writer, answer_task, progress)` sends what it
        sends; then the connection waits for the server to give up on it."""
        connected = await self.connect(stats)
        if connected is None:
            return
        reader, writer = connected
        stats.active += 1
        opened = time.monotonic()
        progress = {"last_byte": opened}
        answer = asyncio.ensure_future(self.read_answer(reader))
        try:
            try:
                await send(writer, answer, progress)
            except (ConnectionResetError, BrokenPipeError, OSError):
                stats.write_errors += 1
            # Stalled: nothing more is sent until the server closes.
            await self.until(answer)
            if answer.done():
                _, how = answer.result()
                now = time.monotonic()
                stats.end(how)
                stats.lifetimes.append(now - opened)
                stats.stall_to_end.append(now - progress["last_byte"])
            else:
                stats.end("open at end")
                stats.open_at_end_ages.append(time.monotonic() - opened)
        finally:
            stats.active -= 1
            answer.cancel()
            writer.transport.abort()

    # ------------------------------------------------------------ the clients
    def slow_body_head(self):
        return (
            "POST / HTTP/1.1\r\n"
            f"Host: {self.args.host}:{self.args.port}\r\n"
            "User-Agent: pop-soak-slow-body\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {BODY_SIZE}\r\n"
            "\r\n"
        ).encode()

    async def stall_client(self, delay):
        stats = self.stats["stall"]

        async def send(writer, answer, progress):
            writer.write(self.slow_body_head())
            left = BODY_SIZE - 1
            while left > 0 and not answer.done() and not self.stop.is_set():
                piece = CHUNK[: min(len(CHUNK), left)]
                writer.write(piece)
                drain = asyncio.ensure_future(writer.drain())
                await self.until(drain, answer)
                if not drain.done():
                    drain.cancel()
                    return
                drain.result()  # raises if the server reset the connection
                left -= len(piece)
                stats.bytes_sent += len(piece)
                progress["last_byte"] = time.monotonic()

        if await self.pause(delay):
            return
        while not self.stop.is_set():
            await self.one(stats, send)

    async def trickle_client(self, delay):
        stats = self.stats["trickle"]
        piece = b"x" * self.args.trickle_bytes

        async def send(writer, answer, progress):
            writer.write(self.slow_body_head())
            left = BODY_SIZE - 1
            while left > 0 and not answer.done():
                writer.write(piece[: min(len(piece), left)])
                drain = asyncio.ensure_future(writer.drain())
                await self.until(drain, answer)
                if not drain.done():
                    drain.cancel()
                    return
                drain.result()
                left -= min(len(piece), left)
                stats.bytes_sent += len(piece)
                progress["last_byte"] = time.monotonic()
                waiter = asyncio.ensure_future(asyncio.sleep(self.args.trickle_interval))
                await self.until(waiter, answer)
                waiter.cancel()
                if self.stop.is_set():
                    return

        if await self.pause(delay):
            return
        while not self.stop.is_set():
            await self.one(stats, send)

    async def loris_client(self, delay):
        stats = self.stats["loris"]

        async def send(writer, answer, progress):
            writer.write(
                (
                    "GET / HTTP/1.1\r\n"
                    f"Host: {self.args.host}:{self.args.port}\r\n"
                    "User-Agent: pop-soak-loris\r\n"
                ).encode()
            )
            line = 0
            while not answer.done():
                await writer.drain()
                progress["last_byte"] = time.monotonic()
                waiter = asyncio.ensure_future(asyncio.sleep(self.args.loris_interval))
                await self.until(waiter, answer)
                waiter.cancel()
                if self.stop.is_set() or answer.done():
                    return
                line += 1
                writer.write(f"X-Loris-{line}: {line}\r\n".encode())
                stats.bytes_sent += 16

        if await self.pause(delay):
            return
        while not self.stop.is_set():
            await self.one(stats, send)

    # ------------------------------------------------------------ running
    async def report_progress(self):
        while not await self.pause(5):
            self.print_progress()

    def print_progress(self):
        elapsed = time.monotonic() - self.started
        parts = []
        for stats in self.stats.values():
            answered = sum(n for how, n in stats.endings.items() if how.startswith("answered"))
            parts.append(
                f"{stats.name}: {stats.active} open, {stats.opened} opened, "
                f"{answered} answered, {sum(stats.endings.values()) - answered} closed unanswered"
            )
        print(f"t={elapsed:5.1f}s  " + "; ".join(parts), flush=True)

    async def run(self):
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop.set)
        loop.call_later(self.args.seconds, self.stop.set)
        a = self.args
        trickle = round(a.slow_body * a.trickle_percent / 100)
        stall = a.slow_body - trickle
        # Spread the first connections over --ramp seconds.
        tasks = []
        total = max(1, stall + trickle + a.loris)
        for i in range(stall):
            tasks.append(self.stall_client(a.ramp * len(tasks) / total))
        for i in range(trickle):
            tasks.append(self.trickle_client(a.ramp * len(tasks) / total))
        for i in range(a.loris):
            tasks.append(self.loris_client(a.ramp * len(tasks) / total))
        progress = asyncio.ensure_future(self.report_progress())
        print(
            f"attacking {a.host}:{a.port} for {a.seconds}s: {stall} stalled bodies, "
            f"{trickle} trickled bodies, {a.loris} slowloris",
            flush=True,
        )
        await asyncio.gather(*tasks)
        progress.cancel()
        self.print_progress()
        summary = {
            "seconds": round(time.monotonic() - self.started, 3),
            "target": f"{a.host}:{a.port}",
            "connections": {"stall": stall, "trickle": trickle, "loris": a.loris},
            "trickle": {"bytes": a.trickle_bytes, "interval_s": a.trickle_interval},
            "loris_interval_s": a.loris_interval,
            "kinds": {name: stats.summary() for name, stats in self.stats.items()},
        }
        if a.out:
            with open(a.out, "w") as file:
                json.dump(summary, file, indent=2)
                file.write("\n")
        return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--slow-body", type=int, default=500)
    parser.add_argument("--trickle-percent", type=float, default=20)
    parser.add_argument("--trickle-bytes", type=int, default=1024)
    parser.add_argument("--trickle-interval", type=float, default=1.0)
    parser.add_argument("--loris", type=int, default=200)
    parser.add_argument("--loris-interval", type=float, default=2.0)
    parser.add_argument("--ramp", type=float, default=2.0, help="seconds to open the first connections over")
    parser.add_argument("--out", help="write the JSON summary here")
    args = parser.parse_args()
    if not ipaddress.ip_address(args.host).is_loopback:
        sys.exit(f"error: {args.host} is not a loopback address; this attack runs on loopback only")
    if not 0 < args.seconds <= 3600:
        sys.exit("error: --seconds must be in (0, 3600]")
    asyncio.run(Attack(args).run())


if __name__ == "__main__":
    main()
