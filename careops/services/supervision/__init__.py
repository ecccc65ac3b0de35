"""R7 monthly supervision report: figures, labels, holiday availability."""
