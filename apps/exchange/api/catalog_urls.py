"""Routes of the exchange catalog (filled in by its module)."""

urlpatterns = []
