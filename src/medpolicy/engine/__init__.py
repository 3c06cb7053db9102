"""The pure decision engine: three-valued criteria, exact missing information, reasons."""

from medpolicy.engine.determine import Engine

__all__ = ["Engine"]
