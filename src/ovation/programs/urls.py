from django.urls import path

from . import views_hub as hub
from . import views_staff as staff

app_name = "programs"
urlpatterns = [
    # The advocate hub.
    path("hub/programs/", hub.hub_list, name="hub-list"),
    path("hub/programs/<int:pk>/", hub.hub_program, name="hub-program"),
    path("hub/programs/<int:pk>/apply/", hub.hub_program_apply, name="hub-program-apply"),
    path("hub/programs/<int:pk>/leave/", hub.hub_program_leave, name="hub-program-leave"),
    path("hub/programs/events/<int:pk>/", hub.hub_event, name="hub-event"),
    path("hub/programs/events/<int:pk>/rsvp/", hub.hub_event_rsvp, name="hub-event-rsvp"),
    path("hub/programs/events/<int:pk>/calendar.ics", hub.hub_event_ics, name="hub-event-ics"),
    path("hub/programs/events/<int:pk>/answers/", hub.hub_event_answers, name="hub-event-answers"),
    path("hub/programs/notices/", hub.hub_notices, name="hub-notices"),
    path("hub/ideas/", hub.hub_ideas, name="hub-ideas"),
    path("hub/ideas/<int:pk>/", hub.hub_idea, name="hub-idea"),
    path("hub/ideas/<int:pk>/vote/", hub.hub_idea_vote, name="hub-idea-vote"),
    # Staff pages.
    path("programs/", staff.staff_home, name="staff-home"),
    path("programs/new/", staff.program_edit, name="staff-program-create"),
    path("programs/<int:pk>/", staff.program_detail, name="staff-program"),
    path("programs/<int:pk>/edit/", staff.program_edit, name="staff-program-edit"),
    path("programs/<int:pk>/nominate/", staff.program_nominate, name="staff-program-nominate"),
    path(
        "programs/memberships/<int:pk>/<slug:verb>/",
        staff.membership_action,
        name="staff-membership-action",
    ),
    path("programs/events/", staff.event_list, name="staff-event-list"),
    path("programs/events/new/", staff.event_edit, name="staff-event-create"),
    path("programs/events/<int:pk>/", staff.event_detail, name="staff-event"),
    path("programs/events/<int:pk>/edit/", staff.event_edit, name="staff-event-edit"),
    path("programs/events/<int:pk>/invite/", staff.event_invite, name="staff-event-invite"),
    path(
        "programs/events/<int:pk>/attendance/",
        staff.event_attendance,
        name="staff-event-attendance",
    ),
    path("programs/events/<int:pk>/minutes/", staff.event_minutes, name="staff-event-minutes"),
    path("programs/events/<int:pk>/cancel/", staff.event_cancel, name="staff-event-cancel"),
    path(
        "programs/events/<int:pk>/questions/",
        staff.event_questions,
        name="staff-event-questions",
    ),
    path("programs/ideas/", staff.idea_list, name="staff-idea-list"),
    path("programs/ideas/<int:pk>/", staff.idea_detail, name="staff-idea"),
]
