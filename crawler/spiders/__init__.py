"""Spiders: one generic news-site spider and one thin subclass per configured site."""
