"""dondoc: đôn đốc — deadline reminders for government task registries."""

from core import __version__  # noqa: F401 - `dondoc --version`
