from django.contrib import admin
from django.urls import include, path

from chorus_messages import views

urlpatterns = [
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("listes/", include("mailing_lists.urls")),
    path("", include("messaging.urls")),
]
