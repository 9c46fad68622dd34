"""Trustdesk's own date and time formats per language (Django's ``FORMAT_MODULE_PATH``)."""
