"""R1 callbacks: planning, call lists, outcomes, months."""
