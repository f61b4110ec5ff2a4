#!/usr/bin/env python3
"""A TCP proxy on 127.0.0.1 that delays every byte by DELAY ms each way.

    python3 bench/delay-proxy.py PORT UPSTREAM DELAY_MS

UPSTREAM: a Unix socket path (PostgreSQL's .s.PGSQL.5432) or host:port.
Latency only (no bandwidth limit, order kept): what `tc netem delay`
does, which needs privileges and a kernel module this machine lacks
(docs: DECISIONS.md, "PostgreSQL over a slow link"). Prints "ready"
once it listens.
"""
import asyncio
import sys
import time


async def pump(reader, writer, delay):
    q = asyncio.Queue()

    async def deliver():
        while True:
            at, data = await q.get()
            if data is None:
                break
            wait = at - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        writer.close()

    task = asyncio.ensure_future(deliver())
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            q.put_nowait((time.monotonic() + delay, data))
    except ConnectionError:
        pass
    q.put_nowait((0, None))
    try:
        await task
    except ConnectionError:
        pass


async def main():
    port, upstream, delay = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]) / 1000

    async def client(reader, writer):
        if upstream.startswith("/"):
            ur, uw = await asyncio.open_unix_connection(upstream)
        else:
            h, p = upstream.rsplit(":", 1)
            ur, uw = await asyncio.open_connection(h, int(p))
        await asyncio.gather(pump(reader, uw, delay), pump(ur, writer, delay))

    server = await asyncio.start_server(client, "127.0.0.1", port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
