from django import template

from apps.notifications.services import unread_count

register = template.Library()


@register.simple_tag
def unread_notifications(user) -> int:
    """The navbar bell's count: one indexed COUNT of the user's unread notifications."""
    if user is None or not user.is_authenticated:
        return 0
    return unread_count(user)
