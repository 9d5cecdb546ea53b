"""The Mailbox and Outbox tabs."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView


class MailboxView(LoginRequiredMixin, TemplateView):
    template_name = "messaging/mailbox.html"
    extra_context = {"active_tab": "mailbox"}


class OutboxView(LoginRequiredMixin, TemplateView):
    template_name = "messaging/outbox.html"
    extra_context = {"active_tab": "outbox"}
