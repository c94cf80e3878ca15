"""Jobs: deadline grammar, working-day calendar, statuses, planning, dispatch and the scheduler tick."""
