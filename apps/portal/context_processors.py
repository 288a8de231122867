from django.conf import settings

from .menus import menu_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {
        "portal_menu": menu_for(user),
        "external_portal_url": settings.EXTERNAL_PORTAL_URL,
        "map_tile_url": settings.ANQUAN_MAP_TILE_URL,
    }
