"""Shared helpers without models: environment settings, durations, deadlines, pseudonyms."""
