"""The comparison engines: hourly counts, the row diff, and the noise floor. They return
evidence; the checks layer judges it."""
