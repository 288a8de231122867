"""Routes of the exchange outbox (filled in by its module)."""

urlpatterns = []
