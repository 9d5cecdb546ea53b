"""Writing, modifying, sending and deleting messages.

The New message and Modify pages are one POST form. "Enregistrer" and
"Envoyer" save. The other buttons (add a typed SIRET, remove a chip, search,
add the selected results) only rebuild the page from the posted values, so
that the form works without JavaScript.
"""

import logging
import uuid

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from messaging.audit import record_event
from messaging.forms import MessageForm, SentMessageForm, parse_recipient_key
from messaging.models import Message, MessageEvent
from messaging.rules import check_message
from messaging.sending import add_mailing_lists, add_recipients, send, set_draft_recipients

logger = logging.getLogger(__name__)

SAVING_ACTIONS = {"save", "send"}


class AlreadySent(Exception):
    """The draft being saved was sent meanwhile, from another tab or a double click."""

    def __init__(self, message):
        super().__init__(message.reference)
        self.message = message


class AlreadyCreated(Exception):
    """The New message form was already submitted once: `message` is what it created."""

    def __init__(self, message):
        super().__init__(message.reference)
        self.message = message


def _message_created_with(user, form_token):
    """Return the message that the New message form with `form_token` created, or None."""
    if not form_token:
        return None
    event = (
        MessageEvent.objects.filter(
            action=MessageEvent.Action.CREATED,
            actor=user,
            details__form_token=form_token,
            message__isnull=False,
        )
        .select_related("message")
        .first()
    )
    return event.message if event else None


def _changed_fields(form) -> list[str]:
    names = [name for name in form.changed_data if name in form._meta.fields]
    if "recipients" in form.changed_data or form.typed_chip is not None:
        names.append("recipients")
    return names


def store_draft(form, *, by, send_now=False, form_token="") -> Message:
    """Save a new message or a draft with its recipients, and send it when asked.

    One transaction: when sending fails, nothing is saved, not even a new
    message. Raise AlreadySent when the draft was sent meanwhile and
    AlreadyCreated when this New message form was already submitted.
    """
    created = form.instance.pk is None
    try:
        with transaction.atomic():
            if created:
                # The author's row lock makes two submissions of one form (a
                # double click) run one after the other. The second one then
                # finds the CREATED event of the first.
                get_user_model().objects.select_for_update().filter(pk=by.pk).first()
                earlier = _message_created_with(by, form_token)
                if earlier is not None:
                    raise AlreadyCreated(earlier)
            else:
                locked = Message.objects.select_for_update().get(pk=form.instance.pk)
                if locked.is_sent:
                    raise AlreadySent(locked)
            message = form.save(commit=False)
            if created:
                message.created_by = by
            message.save()
            set_draft_recipients(
                message, [chip.recipient for chip in form.cleaned_data["recipients"]]
            )
            message.mailing_lists.set(form.cleaned_data["mailing_lists"])
            if created:
                record_event(
                    message, MessageEvent.Action.CREATED, by=by, details={"form_token": form_token}
                )
            elif changed := _changed_fields(form):
                record_event(
                    message, MessageEvent.Action.MODIFIED, by=by, details={"fields": changed}
                )
            if send_now:
                send(message, by=by)
    except ValidationError:
        if created:
            # The rolled back row must not look saved when the form is shown again.
            form.instance.pk = None
            form.instance._state.adding = True
        raise
    return message


def update_sent(form, *, by) -> tuple[Message, dict, int]:
    """Apply a sent message's new display dates and new recipients in one transaction.

    Return the message, the changed dates as {field: {"old", "new"}} and the
    number of recipients added, typed or through mailing lists.
    """
    with transaction.atomic():
        locked = (
            Message.objects.select_for_update().select_related("sender").get(pk=form.instance.pk)
        )
        changes = {}
        for name in ("display_start", "display_end"):
            old, new = getattr(locked, name), form.cleaned_data[name]
            if new != old:
                changes[name] = {"old": old.isoformat(), "new": new.isoformat()}
                setattr(locked, name, new)
        if changes:
            check_message(locked)
            locked.save()
            record_event(locked, MessageEvent.Action.MODIFIED, by=by, details=changes)
        recipients = [chip.recipient for chip in form.cleaned_data["recipients"]]
        added = add_recipients(locked, recipients, by=by) if recipients else 0
        mailing_lists = form.cleaned_data.get("mailing_lists")
        if mailing_lists:
            added += add_mailing_lists(locked, mailing_lists, by=by)
    return locked, changes, added


def _add_domain_errors(form, error: ValidationError) -> None:
    """Show the errors of messaging.rules and messaging.sending next to their fields."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _same_recipient(key, other_key) -> bool:
    first, second = parse_recipient_key(key), parse_recipient_key(other_key)
    if first is None or second is None:
        return False
    return (first.structure_id, first.service_id) == (second.structure_id, second.service_id)


class RecipientChoiceViewMixin:
    """The buttons of a recipient-choosing page that rebuild it from the POST and save nothing.

    Adding a typed SIRET, removing a chip, searching and adding the selected
    results work this way without JavaScript. A view defines `get_form(data)`,
    `render_form(form, search=None)` and `saving_actions`, the values of the
    "action" button that save.
    """

    saving_actions = SAVING_ACTIONS

    def action(self) -> str:
        return self.request.POST.get("action", "")

    def saves(self) -> bool:
        """Return whether a saving button posted the form, not a button that only rebuilds."""
        return "remove" not in self.request.POST and self.action() in self.saving_actions

    def rebuild(self, form):
        """Handle the buttons that change the page but save nothing."""
        data = self.request.POST.copy()
        form.is_valid()
        if "remove" in data:
            remaining = [
                key
                for key in data.getlist("recipients")
                if not _same_recipient(key, data["remove"])
            ]
            data.setlist("recipients", remaining)
        elif self.action() == "search":
            return self.render_form(form, search=self.search(form))
        elif self.action() == "add_selected":
            data.setlist("recipients", data.getlist("recipients") + data.getlist("pick"))
            data.setlist("pick", [])
        elif form.typed_chip is not None:
            data.appendlist("recipients", form.typed_chip.key)
            data["siret"] = ""
        else:
            # A typed identifier that is not a partner: show its error.
            return self.render_form(form)
        return self.render_form(self.get_form(data))

    def search(self, form):
        sender, kind = form.recipient_context()
        if sender is None or not form.search_form.is_valid():
            return None
        rows, more = form.search_form.results(sender, kind)
        return {"rows": rows, "more": more}


class MessageFormView(LoginRequiredMixin, RecipientChoiceViewMixin, View):
    """The page shared by New message and Modify: render, rebuild, save."""

    template_name = "messaging/message_form.html"
    message = None

    def get_form(self, data=None):
        raise NotImplementedError

    def render_form(self, form, search=None):
        context = {
            "form": form,
            "message": self.message,
            "search": search,
            "active_tab": "outbox",
        }
        return render(self.request, self.template_name, context)

    def sends(self) -> bool:
        return self.request.method == "POST" and self.saves() and self.action() == "send"

    def submit_draft(self, form, *, form_token=""):
        send_now = self.sends()
        try:
            message = store_draft(
                form, by=self.request.user, send_now=send_now, form_token=form_token
            )
        except ValidationError as error:
            _add_domain_errors(form, error)
            return self.render_form(form)
        if send_now:
            count = message.deliveries.count()
            text = ngettext(
                "Message %(reference)s was sent to %(count)s recipient.",
                "Message %(reference)s was sent to %(count)s recipients.",
                count,
            )
            messages.success(self.request, text % {"reference": message.reference, "count": count})
        else:
            messages.success(
                self.request, _("Draft %(reference)s saved.") % {"reference": message.reference}
            )
        return redirect("messaging:outbox")

    def already_sent(self, message):
        messages.info(
            self.request,
            _("Message %(reference)s has already been sent.") % {"reference": message.reference},
        )
        return redirect("messaging:outbox")


class MessageCreateView(MessageFormView):
    def get_form(self, data=None):
        initial = {} if data is not None else {"form_token": uuid.uuid4().hex}
        return MessageForm(data, user=self.request.user, initial=initial, sending=self.sends())

    def get(self, request):
        return self.render_form(self.get_form())

    def post(self, request):
        form_token = request.POST.get("form_token", "")
        if self.saves():
            earlier = _message_created_with(request.user, form_token)
            if earlier is not None:
                return self.continue_earlier(earlier)
        form = self.get_form(request.POST)
        if not self.saves():
            return self.rebuild(form)
        if not form.is_valid():
            return self.render_form(form)
        try:
            return self.submit_draft(form, form_token=form_token)
        except AlreadyCreated as duplicate:
            return self.continue_earlier(duplicate.message)

    def continue_earlier(self, message):
        """Treat a repeated New message submission as a change to what the first one created."""
        return MessageUpdateView.as_view()(self.request, reference=message.pk)


class MessageUpdateView(MessageFormView):
    """A draft: the whole form. A sent message: its dates and new recipients only."""

    def get_form(self, data=None):
        if self.message.is_draft:
            return MessageForm(
                data, user=self.request.user, instance=self.message, sending=self.sends()
            )
        return SentMessageForm(data, user=self.request.user, instance=self.message)

    def load(self, reference):
        queryset = Message.objects.for_user(self.request.user).select_related(
            "sender", "sender_service"
        )
        self.message = get_object_or_404(queryset, pk=reference)

    def is_expired(self) -> bool:
        return self.message.is_expired(timezone.localdate())

    def reject_expired(self):
        messages.error(
            self.request, _("This message can no longer be modified: its display period has ended.")
        )
        return redirect("messaging:message-detail", reference=self.message.pk)

    def get(self, request, reference):
        self.load(reference)
        if self.is_expired():
            return self.reject_expired()
        return self.render_form(self.get_form())

    def post(self, request, reference):
        self.load(reference)
        if self.is_expired():
            return self.reject_expired()
        if self.message.is_sent and self.action() == "send":
            return self.already_sent(self.message)
        form = self.get_form(request.POST)
        if not self.saves():
            return self.rebuild(form)
        if not form.is_valid():
            if self.sent_meanwhile():
                return self.already_sent(self.message)
            return self.render_form(form)
        try:
            if self.message.is_draft:
                return self.submit_draft(form)
            return self.submit_sent(form)
        except AlreadySent as race:
            return self.already_sent(race.message)

    def sent_meanwhile(self) -> bool:
        """Return whether another request sent this page's draft since the page loaded it."""
        return self.message.is_draft and Message.objects.sent().filter(pk=self.message.pk).exists()

    def submit_sent(self, form):
        try:
            message, changes, added = update_sent(form, by=self.request.user)
        except ValidationError as error:
            _add_domain_errors(form, error)
            return self.render_form(form)
        reference = message.reference
        if changes:
            messages.success(
                self.request, _("Message %(reference)s modified.") % {"reference": reference}
            )
        if added:
            text = ngettext(
                "%(count)s recipient added to message %(reference)s.",
                "%(count)s recipients added to message %(reference)s.",
                added,
            )
            messages.success(self.request, text % {"count": added, "reference": reference})
        if not changes and not added:
            messages.info(
                self.request,
                _("Nothing was changed in message %(reference)s.") % {"reference": reference},
            )
        return redirect("messaging:outbox")


class MessageDeleteView(LoginRequiredMixin, View):
    """Delete a draft after confirmation; a sent message is never deleted."""

    template_name = "messaging/message_confirm_delete.html"

    def load(self, reference, *, lock=False):
        queryset = Message.objects.for_user(self.request.user)
        if lock:
            queryset = queryset.select_for_update()
        return get_object_or_404(queryset, pk=reference)

    def reject_sent(self, message):
        messages.error(self.request, _("A sent message cannot be deleted."))
        return redirect("messaging:message-detail", reference=message.pk)

    def get(self, request, reference):
        message = self.load(reference)
        if not message.is_draft:
            return self.reject_sent(message)
        context = {"message": message, "active_tab": "outbox"}
        return render(request, self.template_name, context)

    def post(self, request, reference):
        with transaction.atomic():
            message = self.load(reference, lock=True)
            if not message.is_draft:
                return self.reject_sent(message)
            reference_text = message.reference
            record_event(message, MessageEvent.Action.DELETED, by=request.user)
            message.delete()
        logger.info("Draft %s deleted by user %s", reference_text, request.user.pk)
        messages.success(request, _("Draft %(reference)s deleted.") % {"reference": reference_text})
        return redirect("messaging:outbox")
