"""The web console (bảng điều khiển): server-rendered pages on the feeds\x27 aiohttp server; see web/app.py."""
