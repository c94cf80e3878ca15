"""dondoc: đôn đốc — deadline reminders for government task registries."""

__version__ = "0.1.0"
