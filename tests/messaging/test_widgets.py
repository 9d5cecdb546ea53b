"""LargeSelect writes the same select as Django's, options and groups alike."""

import pytest
from django import forms
from django.test.html import parse_html

from messaging.forms.scope import ServiceSelect
from messaging.widgets import LargeSelect

CHOICES = [
    ("", "Structure entière (aucun service)"),
    ("MAIRIE & <ANNEXE>", [(1, 'STECH - Services "techniques"'), (2, "FIN - Finances l'été")]),
    (3, "Sans groupe"),
]


@pytest.mark.parametrize("value", [None, "", 2, "3", 99])
def test_large_select_matches_django_select(value):
    attrs = {"id": "id_service", "aria-describedby": "id_service_helptext"}

    large = LargeSelect(choices=CHOICES).render("service", value, attrs)
    stock = forms.Select(choices=CHOICES).render("service", value, attrs)

    # Compared as HTML trees: attribute order and whitespace between tags aside.
    assert parse_html(large) == parse_html(stock)


def test_large_select_marks_chosen_option_in_group():
    html = LargeSelect(choices=CHOICES).render("service", 2, {})

    assert '<option value="2" selected>FIN - Finances l&#x27;été</option>' in html
    assert '<optgroup label="MAIRIE &amp; &lt;ANNEXE&gt;">' in html


def test_service_select_tells_structure_of_each_option():
    widget = ServiceSelect(structure_of={"1": 7, "2": 8})
    widget.choices = CHOICES

    html = widget.render("sender_service", 1, {})

    assert '<option value="1" data-structure="7" selected>' in html
    assert '<option value="2" data-structure="8">' in html
    assert '<option value="3">Sans groupe</option>' in html
