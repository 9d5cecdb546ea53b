"""Recipient suggestions and the recipient search screen."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.views import View


class RecipientSuggestionsView(LoginRequiredMixin, View):
    def get(self, request):
        raise Http404


class RecipientSearchView(LoginRequiredMixin, View):
    def get(self, request):
        raise Http404
