"""The embedded demo: generated scenarios with known faults, the booking data, its own config."""
