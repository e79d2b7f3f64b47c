from .news import NewsSiteSpider


class RusislamSpider(NewsSiteSpider):
    """russia-islworld.ru in Russian, Arabic and English: crawler/config/sites/rusislam.yaml."""

    name = "rusislam"
    site_config = "rusislam"
