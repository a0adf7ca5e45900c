from django.urls import path

from . import staff_views, views

app_name = "hub"
urlpatterns = [
    # The advocate hub.
    path("hub/", views.home, name="home"),
    path("hub/login/", views.login_view, name="login"),
    path("hub/login/code/", views.login_code_view, name="login-code"),
    path("hub/login/link/<str:secret>/", views.login_link_view, name="login-link"),
    path("hub/logout/", views.logout_view, name="logout"),
    path("hub/challenges/", views.challenge_list, name="challenge-list"),
    path("hub/challenges/<int:pk>/", views.challenge_detail, name="challenge-detail"),
    path("hub/submissions/<int:pk>/proof/", views.submission_proof, name="submission-proof"),
    path("hub/leaderboard/", views.leaderboard, name="leaderboard"),
    path("hub/profile/", views.profile, name="profile"),
    path("hub/profile/data.json", views.data_export, name="data-export"),
    # Staff pages.
    path("hub-admin/", staff_views.staff_home, name="staff-home"),
    path("hub-admin/challenges/", staff_views.challenge_list, name="staff-challenge-list"),
    path("hub-admin/challenges/new/", staff_views.challenge_edit, name="staff-challenge-create"),
    path(
        "hub-admin/challenges/preview/",
        staff_views.challenge_preview,
        name="staff-challenge-preview",
    ),
    path("hub-admin/challenges/<int:pk>/", staff_views.challenge_edit, name="staff-challenge-edit"),
    path("hub-admin/review/", staff_views.review_queue, name="staff-review"),
    path("hub-admin/review/<int:pk>/", staff_views.submission_detail, name="staff-submission"),
    path(
        "hub-admin/review/<int:pk>/approve/",
        staff_views.submission_approve,
        name="staff-submission-approve",
    ),
    path(
        "hub-admin/review/<int:pk>/reject/",
        staff_views.submission_reject,
        name="staff-submission-reject",
    ),
    path("hub-admin/invite/", staff_views.invite, name="staff-invite"),
    path("hub-admin/levels/", staff_views.levels_badges, name="staff-levels"),
    path("hub-admin/badges/new/", staff_views.badge_edit, name="staff-badge-create"),
    path("hub-admin/badges/<int:pk>/", staff_views.badge_edit, name="staff-badge-edit"),
    path("hub-admin/ledger/", staff_views.ledger, name="staff-ledger"),
    path("hub-admin/ledger/<int:contact_id>/", staff_views.ledger, name="staff-ledger-contact"),
]
