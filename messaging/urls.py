from django.urls import path

from messaging import views

app_name = "messaging"

urlpatterns = [
    path("", views.MailboxView.as_view(), name="mailbox"),
    path("boite-envoi/", views.OutboxView.as_view(), name="outbox"),
]
