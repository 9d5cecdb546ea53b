"""Settings for the test suite: the production settings with test-only conveniences."""

import os

# Tests run without DEBUG, like production, so they need a key of their own.
os.environ.setdefault("SECRET_KEY", "test-only-key-not-secret")

from chorus_messages.settings import *  # noqa: F403

# Hashed file names need collectstatic; tests read static files where they are.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# A fast hasher: the suite creates many users; production keeps Django's default.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise warns when it is missing
