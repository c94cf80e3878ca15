"""Reports (báo cáo): the four groups per agency, the overdue list, every task with its status — one set of
figures behind the CLI, the chat, the web console and the files (XLSX, DOCX, chart).

    from reports import parse_period, build_report
    period = parse_period("Quý III/2026", cutoff=settings.report_cutoff)
    report = build_report(session, settings=settings, calendar=calendar, period=period, today=today)
    report.totals.done_on_time, report.to_json()
    reports.xlsx.report_xlsx(report) / reports.docx.report_docx(report) / reports.chart.report_chart(report)
    reports.summary.summary_chart(session, settings=..., calendar=..., quarter="2018-Q2", today=...)  # the summary's

`reports.figures` is pure (plain data in, figures out); `reports.load` reads the database; the renderers
turn a `Report` into bytes.
"""

from reports.figures import (  # noqa: F401
    CUTOFFS, DueFact, ExtensionFact, Group, GroupCounts, Period, PeriodError, ProgressFact, Report, ReportRow,
    compute_report, current_period, format_rate, make_period, parse_period, period_between,
)
from reports.load import ReportTooLarge, agency_names, build_report, load_due_facts  # noqa: F401
