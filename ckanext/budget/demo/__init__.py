"""Sample data for the demonstration portal (`make demo`)."""
