from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

# The groups created by migration 0005; their members review in the admin.
REVIEW_ROLES = ("Support", "Reviewers")


class PortalAdminSite(admin.AdminSite):
    site_header = "ISV Terms administration"
    site_title = "ISV Terms"

    def has_permission(self, request) -> bool:
        # Being staff is not enough: only superusers and the review roles
        # have any business in the admin.
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        return user.is_superuser or user.groups.filter(name__in=REVIEW_ROLES).exists()


class PortalAdminConfig(AdminConfig):
    default_site = "onboarding.admin_site.PortalAdminSite"
