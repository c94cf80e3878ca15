"""The ground floor: the domain's pure rules and the words they are said in.

The deadline grammar (`deadline/`), working days (`workdays.py`), statuses (`status.py`), urgent deadlines
(`urgent.py`), languages and catalogs (`i18n.py`, `locale/`), the clock (`clock.py`), the typed settings
(`settings.py`) and the links other floors make (`links.py`). No database, no network, no framework;
everything above may import from here, nothing here imports from above (docs/architecture.md).
"""

__version__ = "0.1.0"  # the distribution's version (pyproject.toml); feeds stamp it on what they cache
