"""Drafting letters from the templates in ``templates/letters/``."""
