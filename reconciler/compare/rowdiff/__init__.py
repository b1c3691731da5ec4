"""Row-level reconciliation: checksums in the databases, refinement, exact comparison."""
