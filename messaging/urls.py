from django.urls import path, register_converter

from messaging import views
from messaging.converters import ReferenceConverter

app_name = "messaging"

register_converter(ReferenceConverter, "reference")

urlpatterns = [
    path("", views.MailboxView.as_view(), name="mailbox"),
    path("boite-envoi/", views.OutboxView.as_view(), name="outbox"),
    path("messages/nouveau/", views.MessageCreateView.as_view(), name="message-create"),
    path(
        "messages/<reference:reference>/",
        views.MessageDetailView.as_view(),
        name="message-detail",
    ),
    path(
        "messages/<reference:reference>/modifier/",
        views.MessageUpdateView.as_view(),
        name="message-update",
    ),
    path(
        "messages/<reference:reference>/supprimer/",
        views.MessageDeleteView.as_view(),
        name="message-delete",
    ),
    path(
        "destinataires/suggestions/",
        views.RecipientSuggestionsView.as_view(),
        name="recipient-suggestions",
    ),
    path(
        "destinataires/recherche/",
        views.RecipientSearchView.as_view(),
        name="recipient-search",
    ),
]
