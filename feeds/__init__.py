"""Calendars: .ics rendering (`ics`, pure), what goes into a calendar (`service`), secret feed tokens
(`tokens`) and the HTTP feed server (`server`) that `dondoc run` starts."""
