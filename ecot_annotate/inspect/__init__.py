"""Inspect a finished run: quality figures (`stats`) and a browsable HTML report (`report`)."""
