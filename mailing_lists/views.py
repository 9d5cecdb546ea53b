"""Views of the Mailing lists tab."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView


class ListIndexView(LoginRequiredMixin, TemplateView):
    template_name = "mailing_lists/list_index.html"
    extra_context = {"active_tab": "lists"}
