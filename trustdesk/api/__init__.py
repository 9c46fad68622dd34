"""The REST API: billing and provisioning systems keep the registry in sync through it."""
