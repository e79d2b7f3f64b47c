"""Scrapy commands of the project (settings ``COMMANDS_MODULE``): ``scrapy crawl`` runs our crawl.

``scrapy crawl`` in a checkout then checks its input, reports and exits exactly as
``rusislam-archive crawl`` and ``rusislam-archive run`` do (``crawler.commands.crawl``).
"""
