"""Writing, modifying, sending and deleting messages."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.views import View


class MessageCreateView(LoginRequiredMixin, View):
    def get(self, request):
        raise Http404


class MessageUpdateView(LoginRequiredMixin, View):
    def get(self, request, reference):
        raise Http404


class MessageDeleteView(LoginRequiredMixin, View):
    def get(self, request, reference):
        raise Http404
