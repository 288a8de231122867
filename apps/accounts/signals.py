from django.db.models.signals import post_migrate
from django.dispatch import receiver


@receiver(post_migrate)
def sync_roles_after_migrate(sender, **kwargs):
    # Run once, after the last app: by then every app's permissions exist.
    from django.apps import apps

    if sender.label != list(apps.get_app_configs())[-1].label:
        return
    from .roles import sync_roles

    sync_roles()
