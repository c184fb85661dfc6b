from django.urls import path

from onboarding import views

app_name = "onboarding"

urlpatterns = [
    path("", views.SubmissionListView.as_view(), name="submission_list"),
    path("new/", views.SubmissionCreateView.as_view(), name="submission_create"),
    path("<uuid:pk>/", views.SubmissionDetailView.as_view(), name="submission_detail"),
    path("<uuid:pk>/agreement/", views.agreement_download, name="agreement_download"),
    path("<uuid:pk>/live/", views.submission_live, name="submission_live"),
    path("<uuid:pk>/fix/", views.SubmissionFixView.as_view(), name="submission_fix"),
    path(
        "<uuid:pk>/send-again/",
        views.submission_send_again,
        name="submission_send_again",
    ),
]
