"""Reading the files administrators already keep into dondoc (intake, tiếp nhận).

- `intake.readers`: one reader per format (CSV/TXT with encoding detection, XLSX streamed, XLS, the
  tables of a DOCX) turning a file into rows of text cells with their positions and merged cells;
- `intake.table` / `intake.yaml_registry`: the pure interpretation of those rows (headers one or two
  rows deep, numbering rows, sections, continued rows) into task rows;
- `intake.tasks`: task rows → tasks (agencies and groups through the directory, deadlines through the
  grammar, plan ends);
- `intake.importer`: the entry points, `preview_import` (dry run) and `import_file` (all or nothing),
  with the problems list (`FILE:ROW:COLUMN: message`);
- `intake.directive` (dondoc extract): tasks drawn from a directive's text;
- `intake.directory`: the one agency directory every command reads; `intake.provinces`: PROVINCE's
  communes from the vietnam-provinces package; `intake.limits`: what a hostile file may make us read.

`storage/` keeps the tables and the write; it does not read files nor deadlines.
"""

__all__ = ["FileRefused", "ImportOptions", "Limits", "Problem", "RegistryErrors", "import_file",
           "import_registry", "preview_import"]

_WHERE = {"ImportOptions": "intake.importer", "import_file": "intake.importer", "import_registry": "intake.importer",
          "preview_import": "intake.importer", "FileRefused": "intake.limits", "Limits": "intake.limits",
          "Problem": "intake.model", "RegistryErrors": "intake.model"}


def __getattr__(name: str):
    """Imported on first use, so that `intake.directive` (text extraction) does not pull in the database."""
    import importlib

    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'intake' has no attribute {name!r}")
