"""Trustdesk: the privacy and abuse desk for hosting and IT-services providers."""

__version__ = "0.1.0"
