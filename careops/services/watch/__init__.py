"""R3 holiday website watch: imports (sites, duty roster), rounds, notices, periods, report,
ad-hoc checks."""
