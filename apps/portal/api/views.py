from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.portal.menus import menu_for


class PortalMenuView(APIView):
    """The platforms and modules of the caller's user class; anonymous callers get the public end."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response({"platforms": menu_for(request.user)})
