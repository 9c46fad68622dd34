"""The Django admin in Dutch: the models' names, and the help texts of their fields.

A Dutch administrator sees Dutch model names on the admin's index page, and Dutch help texts under the
fields of the project's models.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import models
from django.test import Client
from django.utils import translation
from django.utils.text import capfirst

#: Models whose name is the same word in Dutch.
SAME_IN_DUTCH = {"rights.download"}

#: Models of django-allauth, which gives them no translatable name: the admin shows them in English.
NAMED_BY_ALLAUTH = {"mfa.authenticator", "usersessions.usersession"}

#: Help texts that are the same in Dutch (a code, not a sentence).
HELP_SAME_IN_DUTCH = {"registry.person"}


def _names(model: type[models.Model], language: str) -> tuple[str, str]:
    with translation.override(language):
        return str(model._meta.verbose_name), str(model._meta.verbose_name_plural)


def _same_in_both(model: type[models.Model]) -> bool:
    """Its singular or its plural name reads the same in English and in Dutch."""
    english, dutch = _names(model, "en"), _names(model, "nl")
    return english[0] == dutch[0] or english[1] == dutch[1]


def _translated(model: type[models.Model]) -> bool:
    return model._meta.label_lower not in SAME_IN_DUTCH | NAMED_BY_ALLAUTH


def test_it_names_every_model_of_the_admin_in_dutch() -> None:
    registered = list(admin.site._registry)
    assert any(model._meta.app_label == "registry" for model in registered)
    untranslated = sorted(m._meta.label_lower for m in registered if _translated(m) and _same_in_both(m))
    assert untranslated == []
    assert _names(apps.get_model("journal.JournalEntry"), "nl") == ("logboekregel", "logboekregels")
    assert _names(apps.get_model("rights.Request"), "nl") == ("verzoek", "verzoeken")


def test_it_excepts_only_models_still_named_alike() -> None:
    """Each exception above is still registered and still has the same name in both languages."""
    registered = {model._meta.label_lower: model for model in admin.site._registry}
    for label in SAME_IN_DUTCH | NAMED_BY_ALLAUTH:
        assert label in registered, label
        assert _same_in_both(registered[label]), label


def test_it_names_every_model_of_the_project_in_dutch() -> None:
    project = [
        model
        for model in apps.get_models()
        if model.__module__.startswith("trustdesk.")
        and _translated(model)
        and not model._meta.label_lower.split(".")[1].startswith("historical")
    ]
    assert len(project) > 25
    assert sorted(model._meta.label_lower for model in project if _same_in_both(model)) == []


def test_it_gives_every_help_text_of_the_project_in_dutch() -> None:
    same = []
    for model in apps.get_models():
        if not model.__module__.startswith("trustdesk."):
            continue
        for field in model._meta.get_fields():
            help_text = getattr(field, "help_text", "")
            if not help_text:
                continue
            with translation.override("en"):
                english = str(help_text)
            with translation.override("nl"):
                dutch = str(help_text)
            if english == dutch and english not in HELP_SAME_IN_DUTCH:
                same.append(f"{model._meta.label}.{field.name}: {english}")
    assert same == []


def _dutch_admin_index() -> str:
    """The admin's index page as a superuser whose browser asks for Dutch."""
    user = User.objects.create_superuser("beheerder", "beheerder@provider.example", "a long password 123")
    client = Client()
    client.force_login(user)
    response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="nl"' in page
    return page


@pytest.mark.django_db
def test_it_shows_the_dutch_model_names_on_the_admin_index() -> None:
    page = _dutch_admin_index()
    missing, english = [], []
    for model in admin.site._registry:
        with translation.override("nl"):
            name = capfirst(str(model._meta.verbose_name_plural))
        if f">{name}<" not in page:
            missing.append(name)
        if _translated(model):
            with translation.override("en"):
                name = capfirst(str(model._meta.verbose_name_plural))
            if f">{name}<" in page:
                english.append(name)
    assert missing == []
    assert english == []
    assert ">Logboekregels<" in page and ">Personen<" in page


@pytest.mark.django_db
def test_the_admin_index_names_the_apps_in_dutch() -> None:
    from django.apps import apps as registry

    page = _dutch_admin_index()
    for config in registry.get_app_configs():
        if not config.name.startswith("trustdesk.") or not any(
            model in admin.site._registry for model in config.get_models()
        ):
            continue
        with translation.override("nl"):
            dutch = str(config.verbose_name)
        with translation.override("en"):
            english = str(config.verbose_name)
        assert f">{dutch}<" in page, config.label
        if dutch != english:
            assert f">{english}<" not in page, config.label
    assert ">Register<" in page and ">Verzoeken van betrokkenen<" in page
