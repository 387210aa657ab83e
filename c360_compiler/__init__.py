"""c360: declarative Customer 360 analytics compiled from YAML specs."""

__version__ = "0.1.0"
