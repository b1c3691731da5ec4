#!/usr/bin/env python3
"""`python cli.py ...` from a checkout: the same commands as `reconciler`."""

from reconciler.cli import run

if __name__ == "__main__":
    run()
