"""Request facts used by audit records."""

from django.conf import settings


def client_ip(request) -> str | None:
    """The caller's address; X-Forwarded-For is trusted only behind a configured number of proxies."""
    if request is None:
        return None
    proxies = getattr(settings, "ANQUAN_TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def user_agent(request) -> str:
    return (request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:255]
