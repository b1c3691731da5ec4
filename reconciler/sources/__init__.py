"""Sources: opening them (read-only, timeouts, UTC), one side's relation and its time axis."""
