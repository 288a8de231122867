"""The API router: every route answers with or without its trailing slash (no redirect that would
drop a POST body)."""

from rest_framework.routers import DefaultRouter


class OptionalSlashRouter(DefaultRouter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.trailing_slash = "/?"  # DRF's constructor accepts only "/" or ""
