"""Routes of the exchange quality (filled in by its module)."""

urlpatterns = []
