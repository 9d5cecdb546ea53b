"""Recipient suggestions (JSON) and the recipient search (an HTML fragment) of the message form.

Both list only the active partners of the chosen sender, of the chosen
recipient type, and return 404 when the sender is not one of the user's
structures.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View

from messaging.forms import RecipientSearchQueryForm, RecipientSuggestionForm


def _unknown_sender():
    return JsonResponse({"error": _("Unknown sender structure.")}, status=404)


def _invalid(form):
    return JsonResponse({"errors": form.errors.get_json_data()}, status=400)


class RecipientSuggestionsView(LoginRequiredMixin, View):
    """GET sender, kind, q: the partners whose identifier starts with q, as JSON."""

    def get(self, request):
        form = RecipientSuggestionForm(request.GET, user=request.user)
        if not form.is_valid():
            return _unknown_sender() if "sender" in form.errors else _invalid(form)
        return JsonResponse(form.suggestions(), safe=False)


class RecipientSearchView(LoginRequiredMixin, View):
    """GET sender, kind and criteria: the results table that the message form shows."""

    template_name = "messaging/recipient_search.html"

    def get(self, request):
        form = RecipientSearchQueryForm(request.GET, user=request.user)
        if not form.is_valid():
            return _unknown_sender() if "sender" in form.errors else _invalid(form)
        rows, more = form.results(form.cleaned_data["sender"], form.cleaned_data["kind"])
        return render(request, self.template_name, {"search": {"rows": rows, "more": more}})
