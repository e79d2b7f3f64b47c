"""Log lines about items name the article, never dump it (a record is a whole article body)."""

from __future__ import annotations

from scrapy.logformatter import LogFormatter


def _article(item) -> str:
    try:
        return f"article {item['id']} ({item['url']})"
    except (KeyError, TypeError):
        return type(item).__name__


class ArchiveLogFormatter(LogFormatter):
    """Scrapy's messages, with the item named by its id and URL instead of printed whole."""

    def dropped(self, item, exception, response, spider):
        result = super().dropped(item, exception, response, spider)
        return {**result, "msg": "Dropped: %(exception)s", "args": {"exception": exception}}

    def item_error(self, item, exception, response, spider):
        result = super().item_error(item, exception, response, spider)
        return {**result, "msg": "Error processing %(item)s", "args": {"item": _article(item)}}
