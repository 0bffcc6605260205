"""FaultDesk (故障快响): product-fault-feedback management."""

__version__ = "0.1.0"
