"""A TCP relay on 127.0.0.1 that delays every byte by a fixed time each way, for the benchmarks' network mode.

Azurite answers on the same two cores as the app, so its round trips are nearly all client CPU; a storage account
is across a network. With `BENCH_LATENCY_MS=n`, the dial and callback benchmarks reach Azurite through this relay:
every request, the raw operations they are compared with included, waits n ms each way more. The delay is an
assumption standing for a network, not a measured Azure figure. Order and bandwidth are kept: bytes are forwarded
in the order read, each `delay` after it was read.

Run alone: `python -m bench.latency <upstream port> <delay ms>` prints the port it listens on.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from local.azurite import connection_string


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def forward() -> None:
        while True:
            due, data = await queue.get()
            if not data:
                break
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            writer.write(data)
            await writer.drain()
        writer.close()

    sender = asyncio.create_task(forward())
    try:
        while data := await reader.read(65536):
            queue.put_nowait((time.monotonic() + delay, data))
    finally:
        queue.put_nowait((0.0, b""))
        await sender


async def _serve(upstream: int, delay: float) -> None:
    async def relay(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", upstream)
        await asyncio.gather(_pipe(client_reader, server_writer, delay), _pipe(server_reader, client_writer, delay),
                             return_exceptions=True)

    server = await asyncio.start_server(relay, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


def latency_ms() -> float:
    """BENCH_LATENCY_MS, 0 when unset: the one-way delay the benchmarks add."""
    return float(os.environ.get("BENCH_LATENCY_MS") or 0)


def storage_mode() -> str:
    delay = latency_ms()
    if delay <= 0:
        return "storage: Azurite on 127.0.0.1, direct (BENCH_LATENCY_MS=n adds n ms each way)"
    return f"storage: Azurite through a relay adding {delay:g} ms each way (BENCH_LATENCY_MS), raw operations too"


@contextmanager
def relayed(upstream_port: int, delay_ms: float) -> Iterator[str]:
    """A connection string for Azurite on `upstream_port`, through a relay adding `delay_ms` each way (none: direct).
    The relay is a process of its own, so its work is not on the benchmark's interpreter."""
    if delay_ms <= 0:
        yield connection_string(upstream_port)
        return
    relay = subprocess.Popen([sys.executable, "-m", "bench.latency", str(upstream_port), str(delay_ms)],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert relay.stdout is not None
        yield connection_string(int(relay.stdout.readline()))
    finally:
        relay.terminate()
        relay.wait(5)


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1]), float(sys.argv[2]) / 1000))
