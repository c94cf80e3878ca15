"""Reading deadlines as Vietnamese administrators write them (thời hạn hoàn thành).

`parse_deadline("trước ngày 14/6/2018", issued=date(2018, 5, 23))` → a `Deadline`:

- *once* (một lần): "trước ngày 14/6/2018", "Tháng 12/2012", "Quý III/2013", "vào cuối năm 2013",
  "trong vòng 15 ngày kể từ ngày ký", "ngay trong ngày" (the issue date) — `due` is the day the text names; a month, quarter, half or
  year is due on its last day; đầu / giữa / cuối tháng, năm follow Art. 146 of the Civil Code 2015;
  "đầu quý II/2027" is due at the end of the quarter's first month, "tuần đầu tháng 01/2027" on the 7th,
  "9 tháng đầu năm 2027" on 30/9/2027.
- *recurring* (định kỳ): "định kỳ hàng quý", "6 tháng và cả năm", "Tháng 12/năm", "trước ngày 20
  hằng tháng", "Chủ nhật cuối cùng hằng tháng", "trước 15 giờ hằng ngày (cho đến khi bão tan)" (daily: the
  hour makes it a report; an event's end is no date, so no end) — an RFC 5545 RRULE plus `start`, the first due
  date on or after the issue date.
  A schedule beside a span ("trước ngày 25 hằng tháng, từ tháng 12/2026 đến tháng 3/2027") ends with it (an
  UNTIL on the rule); months each with its year ("Tháng 7/2027 và tháng 12/2027") are due at each one's end,
  stages each with its date ("đợt 1 trước 30/6/2027; đợt 2 trước 30/11/2027") on each; "ngày 15 của tháng giữa
  quý" in months 2, 5, 8 and 11.
- *continuous* (thường xuyên): no due date at all; "Từ tháng 01/2027" alone is continuous from its `start`.

What the grammar does not understand, or finds impossible ("32/13/2018", "Quý V/2019"), raises
`DeadlineError` saying what and where — it never guesses. Pure: no I/O, no clock; the issue date
is a parameter. Text without diacritics ("truoc ngay 14/6/2018") and NFD input are read the same.

The grammar, one module per concern:

- `model`: the result — `Deadline` (its due dates, periods, storage form), `DeadlineError`, the years it accepts;
- `text`: the input folded to lower-case ASCII (no diacritics), with offsets back to the words as written;
- `words`: numbers, quarters, weekdays and months in the text — their tables and the checks that they exist;
- `patterns` and `regime`: the regular expressions on the folded text (`regime`: the reporting-regime forms);
- `reader`: `parse_deadline` — which expressions are deadlines and how they make one `Deadline`, reading
  one-off expressions through `once` and recurring forms through `recurring`.
"""

from core.deadline.model import KINDS, MAX_YEAR, MIN_YEAR, Deadline, DeadlineError
from core.deadline.reader import parse_deadline

__all__ = ["Deadline", "DeadlineError", "parse_deadline", "KINDS", "MIN_YEAR", "MAX_YEAR"]
