"""The password hasher of the tests: argon2id, as in the product, at the lowest cost argon2 allows."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher

#: The product's hasher, which the tests replace with QuickArgon2PasswordHasher.
PRODUCT = "django.contrib.auth.hashers.Argon2PasswordHasher"
QUICK = "tests.hashers.QuickArgon2PasswordHasher"


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    """Django's argon2id hasher with 8 KiB of memory and one pass instead of 100 MiB and two.

    The same algorithm, the same code and the same stored format (``argon2$argon2id$...``): a password
    is hashed and checked in well under a millisecond instead of a tenth of a second, which every log-in
    of the tests paid. A hash carries its own parameters, so Django's own hasher checks these hashes too.
    tests/accounts/test_login.py checks the product's parameters with the product's hasher."""

    time_cost = 1
    memory_cost = 8
    parallelism = 1


def quick(hashers: list[str]) -> list[str]:
    """The settings' hashers with the product's argon2 replaced by the quick one."""
    return [QUICK if name == PRODUCT else name for name in hashers]
