"""Reading the files administrators already keep into dondoc (intake, tiếp nhận).

- `intake.readers`: one reader per format (CSV/TXT with encoding detection, XLSX streamed, XLS, the
  tables of a DOCX) turning a file into rows of text cells with their positions and merged cells;
- `intake.table` / `intake.yaml_registry`: the pure interpretation of those rows (headers one or two
  rows deep, numbering rows, sections, continued rows) into task rows;
- `intake.tasks`: task rows → tasks (agencies and groups through the directory, deadlines through the
  grammar, plan ends);
- `intake.importer`: the entry points, `preview_import` (dry run) and `import_file` (all or nothing),
  with the problems list (`FILE:ROW:COLUMN: message`);
- `intake.directory`: the one agency directory every command reads; `intake.provinces`: PROVINCE's
  communes from the vietnam-provinces package; `intake.limits`: what a hostile file may make us read.

`storage/` keeps the tables and the write; it does not read files nor deadlines.
"""

from intake.importer import ImportOptions, import_file, import_registry, preview_import
from intake.limits import FileRefused, Limits
from intake.model import Problem, RegistryErrors

__all__ = ["FileRefused", "ImportOptions", "Limits", "Problem", "RegistryErrors", "import_file",
           "import_registry", "preview_import"]
