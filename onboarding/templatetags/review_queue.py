from django import template
from django.contrib.admin.templatetags.base import InclusionAdminNode

from onboarding.admin_figures import date_hierarchy_of

register = template.Library()


@register.tag(name="cached_date_hierarchy")
def cached_date_hierarchy_tag(parser, token):
    """Django's date drill-down, read from the review figures' cache."""
    return InclusionAdminNode(
        parser,
        token,
        func=date_hierarchy_of,
        template_name="date_hierarchy.html",
        takes_context=False,
    )
