"""Settings of the web load benchmark (benchmarks/web.py): Trustdesk's own, with a URLconf that adds
the reference page. The product's URLs do not change; only the benchmark's server uses this module."""

from trustdesk.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.web_urls"
