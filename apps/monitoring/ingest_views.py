"""HTTP face of gateway ingestion (contract §2). A plain Django view: the signature covers the raw
body, and this path is hot, so DRF's parsing and content negotiation stay out of it."""

from django.conf import settings
from django.db import DatabaseError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .ingest import IngestRejected, authenticate, check_backlog, ingest, parse


@csrf_exempt
@require_POST
def ingest_readings(request):
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.ANQUAN_INGEST_MAX_BYTES:
        return JsonResponse({"detail": "The request is larger than 2 MiB."}, status=413)
    body = request.body
    try:
        gateway = authenticate(
            request.headers.get("X-Gateway-Id", ""),
            request.headers.get("X-Timestamp", ""),
            request.headers.get("X-Signature", ""),
            body,
        )
        readings = parse(body)
        check_backlog()
        outcome = ingest(gateway, readings, source="http")
    except IngestRejected as exc:
        response = JsonResponse({"detail": exc.message}, status=exc.status_code)
        if exc.retry_after:
            response["Retry-After"] = str(exc.retry_after)
        return response
    except DatabaseError:
        # The store cannot be reached (restarting, failing over): nothing was accepted, and the
        # gateway is told to send the same batch again shortly rather than given a bare 500.
        response = JsonResponse({"detail": _("The platform cannot store readings right now; retry.")}, status=503)
        response["Retry-After"] = "10"
        return response
    return JsonResponse(outcome.as_dict(), status=202)
