"""Text as every output format can carry it, whatever was stored, and as editors may save it.

Three rules, one place:
- `clean_on_save(model)`: an app's content models lose, on every save, the control characters
  that no text of ours means (C0 but tab, newline and carriage return; DEL; C1), whatever form or
  API saved them: a vertical tab pasted from a word processor, a terminal escape.
- `xml_text()`: what XML 1.0 cannot hold at all is left out of feeds and sitemaps, for text stored
  before the rule above or by a bulk load that skipped `save()`.
- `one_line_problem()`: fields typed by anyone that staff read as one line (a signup's name) refuse
  line breaks, Unicode line and paragraph separators and bidirectional overrides, which make one
  value look like two or reorder what is shown around it."""

import re

from django.db import models
from django.db.models.signals import pre_save

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NOT_IN_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(value: str) -> str:
    return _CONTROL.sub("", value)


def xml_text(value: str | None) -> str | None:
    return _NOT_XML.sub("", value) if value else value


def one_line_problem(value: str) -> str | None:
    """Why `value` cannot be a one-line field, or None."""
    if _NOT_IN_ONE_LINE.search(value):
        return "Line breaks, tabs, control characters and bidirectional overrides are not allowed."
    return None


def _clean_text_fields(sender, instance, **kwargs) -> None:
    for field in instance._meta.concrete_fields:
        if isinstance(field, models.CharField | models.TextField) and not field.choices:
            value = getattr(instance, field.attname)
            if isinstance(value, str) and _CONTROL.search(value):
                setattr(instance, field.attname, clean(value))


def clean_on_save(*content_models) -> None:
    """From an app's `AppConfig.ready()`: its models' text is cleaned on every save."""
    for model in content_models:
        pre_save.connect(_clean_text_fields, sender=model, dispatch_uid=f"cms-text-{model._meta.label}")
