"""The crawl process hides its start-up objects from the garbage collector once the engine starts."""

from __future__ import annotations

import gc
import weakref

from scrapy import signals
from scrapy.utils.test import get_crawler

from crawler.extensions import GcFreezeExtension


class Node:
    def __init__(self):
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_objects_alive_at_engine_start_are_frozen_and_startup_garbage_is_freed():
    crawler = get_crawler(settings_dict={})
    extension = GcFreezeExtension.from_crawler(crawler)  # noqa: F841 (signals hold handlers weakly)
    gc.unfreeze()
    kept, dropped = Node(), Node()
    gc.collect()  # both survive into the oldest generation, which only a full collection walks
    garbage = weakref.ref(dropped)
    del dropped  # start-up garbage in a cycle: alive until a full collection
    try:
        assert garbage() is not None and gc.get_freeze_count() == 0
        crawler.signals.send_catch_log(signals.engine_started)
        assert garbage() is None  # collected first, not frozen with the rest
        assert gc.get_freeze_count() > 0
        assert not any(o is kept for o in gc.get_objects())  # out of every generation's walk
        later = Node()
        assert any(o is later for o in gc.get_objects(generation=0))  # new objects are collected as usual
    finally:
        gc.unfreeze()
