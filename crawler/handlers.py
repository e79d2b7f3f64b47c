"""HTTP download handler that keeps what an archive needs and Scrapy drops.

Scrapy's HTTP/1.1 handler discards the reason phrase of the status line and does
not say when a download really began (requests wait in slot queues first). A WARC
response record must carry the real status line, and the request and response
records one WARC-Date: the moment the capture started. This handler is the stock
one plus those two facts, written to ``request.meta``:

- ``capture_started``: aware UTC datetime when the request left the queue;
- ``http_reason``: the reason phrase exactly as the server sent it.

It relies on Scrapy's private ``_ScrapyAgent``; if a future Scrapy renames it, the
stock agent is used and the archive falls back to the standard phrases.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import ResponseDataLossError
from scrapy.utils._download_handlers import get_dataloss_msg, wrap_twisted_exceptions
from scrapy.utils.defer import maybe_deferred_to_future

try:
    from scrapy.core.downloader.handlers.http11 import _ScrapyAgent
except ImportError:  # pragma: no cover - depends on Scrapy internals
    _ScrapyAgent = None

logger = logging.getLogger(__name__)

CAPTURE_STARTED = "capture_started"
HTTP_REASON = "http_reason"


if _ScrapyAgent is not None:

    class _ReasonRecordingAgent(_ScrapyAgent):
        def _cb_bodyready(self, txresponse, request):
            phrase = txresponse.phrase
            request.meta[HTTP_REASON] = phrase.decode("latin-1") if isinstance(phrase, bytes) else str(phrase or "")
            return super()._cb_bodyready(txresponse, request)


class ArchivingHTTPDownloadHandler(HTTP11DownloadHandler):
    async def download_request(self, request):
        request.meta[CAPTURE_STARTED] = datetime.now(timezone.utc)
        request.meta.pop(HTTP_REASON, None)
        if _ScrapyAgent is None:  # pragma: no cover
            return await super().download_request(request)
        agent = _ReasonRecordingAgent(
            contextFactory=self._contextFactory,
            bindAddress=self._bind_address,
            pool=self._pool,
            maxsize=self._default_maxsize,
            warnsize=self._default_warnsize,
            fail_on_dataloss=self._fail_on_dataloss,
            crawler=self._crawler,
            tls_verbose_logging=self._tls_verbose_logging,
        )
        try:
            with wrap_twisted_exceptions():
                return await maybe_deferred_to_future(agent.download_request(request))
        except ResponseDataLossError:
            if not self._fail_on_dataloss_warned:
                logger.warning(get_dataloss_msg(request.url))
                self._fail_on_dataloss_warned = True
            raise
