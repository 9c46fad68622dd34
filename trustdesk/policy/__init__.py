"""The provider's policy as code: schema, loading, lint, statement rendering, published versions."""
