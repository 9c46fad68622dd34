"""Turning the text of an import file into field values, with reasons that never repeat the value."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import models

from trustdesk.lib.cards import CARD_MESSAGE, contains_card_number
from trustdesk.policy.countries import ISO_COUNTRIES


class Problem(Exception):
    """A value that cannot be imported; the message says why without quoting it."""


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})")
_LANGUAGE = re.compile(r"[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*")
_CURRENCY = re.compile(r"[A-Z]{3}")
_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}")
_url = URLValidator(schemes=["http", "https"])


def text(raw: Any) -> str:
    """The value as text, trimmed: JSON numbers become their text, null becomes empty."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        raise Problem("is true or false where text is expected")
    if isinstance(raw, str | int | Decimal):
        return str(raw).strip()
    raise Problem("is a list or an object where a single value is expected")


def words(raw: Any) -> list[str]:
    """A space-separated list (or, in JSON, a list of strings)."""
    if isinstance(raw, list):
        items = [text(item) for item in raw]
        if any(not item or " " in item for item in items):
            raise Problem("must be a list of single values, none empty")
        return items
    return text(raw).replace(",", " ").split()


def date(value: str) -> dt.date:
    if not _DATE.fullmatch(value):
        raise Problem("is not a date in the form YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Problem("is not a real date (YYYY-MM-DD)") from None


def moment(value: str) -> dt.datetime:
    """A date (midnight UTC) or a date and time with its UTC offset."""
    if _DATE.fullmatch(value):
        return dt.datetime.combine(date(value), dt.time(), tzinfo=dt.UTC)
    if not _DATETIME.fullmatch(value):
        raise Problem("is not a date (YYYY-MM-DD) or a time with its offset (YYYY-MM-DDTHH:MM:SS+01:00)")
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Problem("is not a real date and time") from None


def decimal(value: str, field: models.DecimalField[Any, Any], *, comma: bool) -> Decimal:
    """A number with ``.`` as the decimal mark (or ``,`` in a ``;``-separated file)."""
    if comma and value.count(",") == 1 and "." not in value:
        value = value.replace(",", ".")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise Problem("is not a number (use . as the decimal mark, no thousands separator)") from None
    if not number.is_finite():
        raise Problem("is not a number")
    places = field.decimal_places or 0
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise Problem(f"has more than {places} decimals")
    if abs(number) >= Decimal(10) ** ((field.max_digits or 0) - places):
        raise Problem("is too large")
    return number


def country(value: str) -> str:
    code = value.upper()
    if code not in ISO_COUNTRIES:
        raise Problem("is not an ISO 3166-1 country code such as BE or NL")
    return code


def domain(value: str) -> str:
    name = value.lower().rstrip(".")
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise Problem("holds a value that is not a domain name") from None
    if not _DOMAIN.fullmatch(name):
        raise Problem("holds a value that is not a domain name")
    return name


def ip_address(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise Problem("holds a value that is not an IP address") from None


def ip_network(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError:
        raise Problem(
            "holds a value that is not an IP network such as 192.0.2.0/24 (host bits must be 0)"
        ) from None


def free_text(value: str) -> str:
    if contains_card_number(value):
        raise Problem(CARD_MESSAGE)
    return value


def model_value(model: type[models.Model], name: str, raw: Any, *, comma: bool = False) -> Any:
    """The value for a model's field from the file, checked as the field demands."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{name} is not a field of {model.__name__}")
    value = text(raw)
    if not value:
        if field.has_default():
            return field.get_default()
        if field.null:
            return None
        if not field.blank:
            raise Problem("is required")
        return ""
    if name == "country":
        return country(value)
    if name == "language":
        if not _LANGUAGE.fullmatch(value) or len(value) > 10:
            raise Problem("is not a language code such as nl or nl-BE")
        return value
    if name == "currency":
        if not _CURRENCY.fullmatch(value.upper()):
            raise Problem("is not a three-letter currency code such as EUR")
        return value.upper()
    if isinstance(field, models.DateTimeField):
        return moment(value)
    if isinstance(field, models.DateField):
        return date(value)
    if isinstance(field, models.DecimalField):
        return decimal(value, field, comma=comma)
    if field.choices:
        allowed = [str(key) for key, _ in field.flatchoices]
        if value not in allowed:
            lowered = value.lower()
            if lowered not in allowed:
                raise Problem(f"must be one of: {', '.join(allowed)}")
            value = lowered
        return value
    if field.max_length and len(value) > field.max_length:
        raise Problem(f"is longer than {field.max_length} characters")
    if isinstance(field, models.EmailField):
        try:
            validate_email(value)
        except ValidationError:
            raise Problem("is not a valid e-mail address") from None
    elif isinstance(field, models.URLField):
        try:
            _url(value)
        except ValidationError:
            raise Problem("is not a web address starting with http:// or https://") from None
    return value
