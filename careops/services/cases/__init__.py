"""R6 customer cases: steps, notices, deadlines, pending years, queries, archive."""
