"""shadow-reconciler: proves a shadow-mode database migration safe."""

__version__ = "0.1.0"
