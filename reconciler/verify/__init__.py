"""Whole-history verification (`reconciler verify`): day checksums in the databases, only
differing days split into hours and differing hours diffed row by row; resumable and shared
between workers and replicas through the report store."""

from reconciler.verify.run import VerifyRequest, verify_dataset

__all__ = ["VerifyRequest", "verify_dataset"]
