"""The client's address as the reverse proxy in front of the application passes it on."""

from django.conf import settings


def client_ip_address(request) -> str | None:
    """Return the address of the client that sent `request`; django-axes throttles by it.

    Behind the TLS proxy (BEHIND_TLS_PROXY), REMOTE_ADDR is the proxy's own
    address for every request. The client's address is then the last entry of
    X-Forwarded-For, the one the proxy appended: a client can forge only the
    entries before it. Without the proxy, REMOTE_ADDR is the client's.
    """
    if settings.BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR")
