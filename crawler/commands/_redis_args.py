"""``--redis URL``, shared by the commands of the shared queue (schedule, worker, queue)."""

from __future__ import annotations

import argparse

from . import CommandError


def add_redis_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--redis", required=True, metavar="URL",
                        help="the Redis server holding the queue, e.g. redis://HOST:6379/0")


def redis_connection(url: str):
    """A checked connection; a server that does not answer is one line on stderr, exit 1."""
    from redis.exceptions import RedisError

    from crawler.sitequeue import connect

    try:
        return connect(url)
    except (RedisError, ValueError) as error:
        raise CommandError(f"Redis at {url}: {error}") from None
