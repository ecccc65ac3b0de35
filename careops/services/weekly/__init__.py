"""R4 weekly report: the meeting, submissions, steps, report, facts."""
