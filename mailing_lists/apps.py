from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailingListsConfig(AppConfig):
    name = "mailing_lists"
    verbose_name = _("Mailing lists")
    default_auto_field = "django.db.models.BigAutoField"
