from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from onboarding.health import healthz

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="onboarding:submission_list")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("submissions/", include("onboarding.urls")),
    path("healthz", healthz, name="healthz"),
]
