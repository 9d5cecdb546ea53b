"""The page of one message."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.views import View


class MessageDetailView(LoginRequiredMixin, View):
    def get(self, request, reference):
        raise Http404
