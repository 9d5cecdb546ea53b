from django.urls import path

from mailing_lists import views

app_name = "mailing_lists"

urlpatterns = [
    path("", views.ListIndexView.as_view(), name="list-index"),
]
