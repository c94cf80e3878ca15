"""Chat platforms, commands, buttons and message texts."""
