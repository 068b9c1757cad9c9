"""The opening wave: many parents POST /api/v1/applications at once.

    python bench/opening_day_wave.py WAVE.json RESULT.json --url http://127.0.0.1:8000 --clients 256

Run by bench/opening_day.py in a process of its own, so that its CPU time is
counted apart from the server's. WAVE.json is a list of
[token, child_pin, school_code, language]; `--clients` connections (kept
alive) take the next family from one queue until none is left. RESULT.json
gets, per request, the latency, the status, the error code or the number.
"""
import argparse
import asyncio
import json
import resource
import time

import aiohttp


async def wave(url, families, clients):
    queue = asyncio.Queue()
    for index, family in enumerate(families):
        queue.put_nowait((index, family))
    results = [None] * len(families)
    connector = aiohttp.TCPConnector(limit=clients, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(url, connector=connector, timeout=timeout) as session:
        start = asyncio.Event()

        async def client():
            await start.wait()
            while not queue.empty():
                index, (token, child_pin, school_code, language) = queue.get_nowait()
                body = {"child_pin": child_pin, "school_code": school_code, "language": language}
                started = time.perf_counter()
                try:
                    async with session.post("/api/v1/applications", json=body,
                                            headers={"Authorization": f"Bearer {token}"}) as response:
                        answer = await response.json(content_type=None)
                        status = response.status
                except Exception as error:  # noqa: BLE001 - every failure is a figure
                    status, answer = 0, {"error": {"code": f"client:{type(error).__name__}"}}
                elapsed = time.perf_counter() - started
                if status == 201:
                    results[index] = (elapsed, status, answer["number"], answer.get("position"))
                else:
                    code = (answer or {}).get("error", {}).get("code", f"http_{status}")
                    results[index] = (elapsed, status, code, None)

        tasks = [asyncio.create_task(client()) for _ in range(clients)]
        began = time.perf_counter()
        start.set()
        await asyncio.gather(*tasks)
        return time.perf_counter() - began, results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wave")
    parser.add_argument("result")
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=256)
    args = parser.parse_args()
    with open(args.wave) as handle:
        families = json.load(handle)
    try:
        import uvloop  # faster when present; not a dependency
        uvloop.install()
    except ImportError:
        pass
    wall, results = asyncio.run(wave(args.url, families, args.clients))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with open(args.result, "w") as out:
        json.dump({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "results": results}, out)


if __name__ == "__main__":
    main()
