"""Sandbox twin of Centra's GraphQL Integration API (see ``twin.py``)."""

from .state import CentraState
from .twin import CentraTwin, TwinConfig

__all__ = ["CentraState", "CentraTwin", "TwinConfig"]
