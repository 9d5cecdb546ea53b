from django.urls import path

from mailing_lists import views

app_name = "mailing_lists"

urlpatterns = [
    path("", views.ListIndexView.as_view(), name="list-index"),
    path("nouvelle/", views.ListFormView.as_view(), name="list-create"),
    path("<int:pk>/", views.ListDetailView.as_view(), name="list-detail"),
    path("<int:pk>/modifier/", views.ListFormView.as_view(), name="list-update"),
    path("<int:pk>/supprimer/", views.ListDeleteView.as_view(), name="list-delete"),
]
