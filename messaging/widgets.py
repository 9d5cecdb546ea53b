"""Form widgets for choices that may number in the thousands."""

import html

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import mark_safe


class LargeSelect(forms.Select):
    """A select that writes its options in Python, with the HTML of forms.Select.

    Django renders each option through a template, about 0.1 ms apiece, which
    the 1,000 services of a ministry turn into most of the message form's
    time. Grouped choices become `<optgroup>`s.
    """

    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(chosen) for chosen in self.format_value(value)}
        parts = []
        for choice, label in self.choices:
            if isinstance(label, list | tuple):
                options = "".join(self._option(member, text, selected) for member, text in label)
                group = html.escape(str(choice))
                parts.append(f'\n  <optgroup label="{group}">{options}\n  </optgroup>')
            else:
                parts.append(self._option(choice, label, selected))
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        return mark_safe(f'<select name="{escape(name)}"{attributes}>{"".join(parts)}\n</select>')

    def option_attrs(self, value: str) -> dict:
        """Return the extra HTML attributes of the option whose value is `value`."""
        return {}

    def _option(self, choice, label, selected) -> str:
        # html.escape is Django's escape() without its lazy-string wrapper, which
        # costs more than the escaping for thousands of options.
        value = "" if choice is None else str(choice)
        chosen = " selected" if value in selected else ""
        extra = "".join(
            f' {name}="{html.escape(str(data))}"' for name, data in self.option_attrs(value).items()
        )
        text = html.escape(str(label))
        return f'\n  <option value="{html.escape(value)}"{extra}{chosen}>{text}</option>'
