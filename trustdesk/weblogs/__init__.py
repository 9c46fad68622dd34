"""Web access logs: Apache and nginx logs kept as Parquet files per site and day (docs/weblogs.md)."""
