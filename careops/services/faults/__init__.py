"""R5 faults: steps, recipients, notices, timers, the watch sweep, queries."""
