"""Views of the Mailing lists tab: the table of lists, a list's page, its form and its deletion.

Every view starts from MailingList.objects.for_user: the list of another
structure, or of another service for a user restricted to one, is a 404.
"""

import logging

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from mailing_lists.editing import save_mailing_list
from mailing_lists.filters import MailingListFilter
from mailing_lists.forms import MailingListForm, duplicate_name_message
from mailing_lists.models import MailingList
from mailing_lists.tables import MailingListTable, MemberTable
from messaging.tables import LenientPaginator, page_links
from messaging.views.compose import RecipientChoiceViewMixin
from messaging.views.lists import MessageListView

logger = logging.getLogger(__name__)

MEMBERS_PER_PAGE = 50
MEMBERS_PAGE_PARAM = "recipients_page"


def get_mailing_list(user, pk, *related):
    """Return the list `pk` if `user` may use it, or raise Http404."""
    lists = MailingList.objects.for_user(user).select_related("owner", "owner_service", *related)
    return get_object_or_404(lists, pk=pk)


class ListIndexView(MessageListView):
    """The lists of the user's structures (of its services, for a user restricted to some).

    The tab works as the Outbox does: filters, sort, page and rows per page
    are GET parameters, and the page runs the same number of queries
    whatever the number of rows.
    """

    template_name = "mailing_lists/list_index.html"
    filterset_class = MailingListFilter
    table_class = MailingListTable
    active_tab = "lists"
    filtered_empty_text = gettext_lazy("No mailing list matches these filters.")

    def get_queryset(self):
        return (
            MailingList.objects.for_user(self.request.user)
            .select_related("owner", "owner_service")
            .annotate(member_count=Count("members"))
        )


class ListDetailView(LoginRequiredMixin, View):
    """A list's fields, its recipients page by page, and who created and changed it."""

    template_name = "mailing_lists/list_detail.html"

    def get(self, request, pk):
        mailing_list = get_mailing_list(request.user, pk, "created_by", "updated_by")
        members = MemberTable(
            mailing_list.members.select_related("structure", "service").order_by(
                "structure__identifier", F("service__code").asc(nulls_first=True), "pk"
            )
        )
        # Paginated here rather than by RequestConfig, so that no GET parameter
        # can raise the page size of a list of thousands of recipients.
        members.paginate(
            paginator_class=LenientPaginator,
            per_page=MEMBERS_PER_PAGE,
            page=request.GET.get(MEMBERS_PAGE_PARAM),
        )
        context = {
            "mailing_list": mailing_list,
            "members": members,
            "members_pagination": page_links(request, members.page, MEMBERS_PAGE_PARAM),
            "active_tab": "lists",
        }
        return render(request, self.template_name, context)


class ListFormView(LoginRequiredMixin, RecipientChoiceViewMixin, View):
    """The page shared by creating and modifying a list: render, rebuild, save."""

    template_name = "mailing_lists/list_form.html"
    saving_actions = {"save"}
    mailing_list = None

    def load(self, pk=None):
        if pk is not None:
            self.mailing_list = get_mailing_list(self.request.user, pk)

    def get_form(self, data=None):
        saving = data is not None and self.saves()
        return MailingListForm(
            data, user=self.request.user, instance=self.mailing_list, saving=saving
        )

    def render_form(self, form, search=None):
        context = {
            "form": form,
            "mailing_list": self.mailing_list,
            "search": search,
            "active_tab": "lists",
            "recipients_anchor": "list-recipients",
        }
        return render(self.request, self.template_name, context)

    def get(self, request, pk=None):
        self.load(pk)
        return self.render_form(self.get_form())

    def post(self, request, pk=None):
        self.load(pk)
        form = self.get_form(request.POST)
        if not self.saves():
            return self.rebuild(form)
        if not form.is_valid():
            return self.render_form(form)
        return self.save(form)

    def save(self, form):
        created = form.instance.pk is None
        try:
            mailing_list = save_mailing_list(form.instance, form.chosen_pairs, by=self.request.user)
        except (ValidationError, IntegrityError) as error:
            if created:
                # The rolled back row must not look saved when the form is shown again.
                form.instance.pk = None
                form.instance._state.adding = True
            self.add_errors(form, error)
            return self.render_form(form)
        if created:
            text = _("Mailing list “%(name)s” created.")
        else:
            text = _("Mailing list “%(name)s” saved.")
        messages.success(self.request, text % {"name": mailing_list.name})
        return redirect("mailing_lists:list-index")

    def add_errors(self, form, error):
        if isinstance(error, IntegrityError):
            # The form checked the other constraints and members skip duplicates,
            # so a concurrent request created the same name after the form's check.
            logger.info(
                "Mailing list name taken concurrently for owner %s: %s",
                form.instance.owner_id,
                error,
            )
            form.add_error("name", duplicate_name_message())
            return
        form.add_save_errors(error)


class ListDeleteView(LoginRequiredMixin, View):
    """Delete a list after confirmation; the messages sent through it keep their recipients."""

    template_name = "mailing_lists/list_confirm_delete.html"

    def get(self, request, pk):
        mailing_list = get_mailing_list(request.user, pk)
        context = {
            "mailing_list": mailing_list,
            "member_count": mailing_list.members.count(),
            "sent_count": mailing_list.messages.sent().count(),
            "draft_count": mailing_list.messages.drafts().count(),
            "active_tab": "lists",
        }
        return render(request, self.template_name, context)

    def post(self, request, pk):
        with transaction.atomic():
            mailing_list = get_mailing_list(request.user, pk)
            name = mailing_list.name
            mailing_list.delete()
        logger.info("Mailing list %s deleted by user %s", pk, request.user.pk)
        messages.success(request, _("Mailing list “%(name)s” deleted.") % {"name": name})
        return redirect("mailing_lists:list-index")
