"""The compiled part of Trustdesk: the web-log ingest's parser (trustdesk/weblogs/_fastlog.c).

Everything else is declared in pyproject.toml. Building needs a C compiler, Python's headers and
OpenSSL's (Debian: build-essential python3-dev libssl-dev).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "trustdesk.weblogs._fastlog",
            sources=["trustdesk/weblogs/_fastlog.c"],
            libraries=["crypto"],
            extra_compile_args=[
                "-O2",
                "-std=c11",
                "-Wall",
                "-Wextra",
                "-Wno-unused-parameter",
                "-Wno-missing-field-initializers",
            ],
        )
    ]
)
