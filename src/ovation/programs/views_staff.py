"""Staff pages: programs and their members (nominations by CSMs, approvals by managers),
events (invitations within the ask budget, guests, attendance, minutes, question sets) and
ideas triage. CSMs (ovation.follow_up) may view and nominate; managers
(ovation.manage_programs) decide and edit."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ovation.core.errors import ServiceError
from ovation.core.http import paginate, permission_required, render_page
from ovation.directory.models import Contact

from . import selectors, services
from .forms import (
    DecisionForm,
    EventForm,
    IdeaStatusForm,
    MinutesForm,
    NominateForm,
    ProgramForm,
)
from .models import Event, Idea, Membership, Program, Question, QuestionSet
from .times import zone_valid

MS = Membership.Status
VIEW = "ovation.follow_up"
MANAGE = "ovation.manage_programs"


def staff_zone(request) -> str | None:
    """The staff member's zone: set by the browser (programs/tz.js) in a cookie."""
    name = request.COOKIES.get("ovation_tz", "")
    return name if zone_valid(name) else None


def access_program(pk: int) -> Program:
    try:
        return selectors.program_get(pk=pk)
    except Program.DoesNotExist as exc:
        raise Http404 from exc


def access_event(pk: int) -> Event:
    try:
        return selectors.event_get(pk=pk)
    except Event.DoesNotExist as exc:
        raise Http404 from exc


@permission_required(VIEW)
def staff_home(request):
    programs = list(selectors.program_list())
    counts = selectors.idea_status_counts()
    context = {
        "programs": programs,
        "upcoming": list(selectors.event_list(upcoming=True)[:8]),
        "pending": list(selectors.pending_requests()[:20]),
        "top_ideas": list(selectors.idea_list(status="open", sort="top")[:8]),
        "tiles": {
            "programs": sum(1 for p in programs if p.is_active),
            "members": sum(p.active_count for p in programs),
            "pending": sum(p.pending_count for p in programs),
            "waitlist": sum(p.waitlist_count for p in programs),
            "open_ideas": sum(counts.get(s, 0) for s in Idea.OPEN),
            "shipped": counts.get(Idea.Status.SHIPPED, 0),
        },
        "can_manage": request.user.has_perm(MANAGE),
        "zone": staff_zone(request),
    }
    return render(request, "programs/staff/home.html", context)


def _program_save(request, form: ProgramForm, program: Program | None):
    data = dict(form.cleaned_data)
    industries = data.pop("eligible_industries")
    regions = data.pop("eligible_regions")
    if program is None:
        return services.program_create(
            actor=request.user,
            eligible_industries=industries,
            eligible_regions=regions,
            **data,
        )
    return services.program_update(
        program=program,
        actor=request.user,
        eligible_industries=industries,
        eligible_regions=regions,
        **data,
    )


@permission_required(MANAGE)
def program_edit(request, pk=None):
    program = access_program(pk) if pk else None
    form = ProgramForm(request.POST or None, instance=program)
    if request.method == "POST" and form.is_valid():
        try:
            program = _program_save(request, form, program)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"{program.name} saved.")
            return redirect("programs:staff-program", pk=program.pk)
    return render(request, "programs/staff/program_form.html", {"form": form, "program": program})


@permission_required(VIEW)
def program_detail(request, pk):
    program = access_program(pk)
    status = request.GET.get("status", "active")
    statuses = [status] if status in MS.values else None
    members = selectors.program_members(program=program, statuses=statuses)
    context = {
        "program": program,
        "status": status,
        "statuses": MS.choices,
        "pending": list(selectors.pending_requests(program=program)),
        "waitlist": list(selectors.waitlist(program=program)),
        "nominate_form": NominateForm(),
        "decision_form": DecisionForm(),
        "upcoming": list(selectors.event_list(program=program, upcoming=True)[:10]),
        "past": list(selectors.event_list(program=program, upcoming=False)[:10]),
        "can_manage": request.user.has_perm(MANAGE),
        "zone": staff_zone(request),
        **paginate(request, members, per_page=50),
    }
    return render_page(
        request,
        "programs/staff/program_detail.html",
        "programs/staff/partials/_members.html",
        context,
    )


@require_POST
@permission_required(VIEW)
def program_nominate(request, pk):
    program = access_program(pk)
    form = NominateForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {errors[0]}")
    else:
        try:
            services.membership_nominate(
                program=program,
                contact=form.contact,
                actor=request.user,
                note=form.cleaned_data["note"],
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, f"{form.contact.full_name} nominated. A manager will review it."
            )
    return redirect("programs:staff-program", pk=pk)


@require_POST
@permission_required(MANAGE)
def membership_action(request, pk, verb):
    membership = get_object_or_404(Membership.objects.select_related("program", "contact"), pk=pk)
    form = DecisionForm(request.POST)
    form.is_valid()
    role = form.cleaned_data.get("role") or Membership.Role.MEMBER
    reason = form.cleaned_data.get("reason", "")
    name = membership.contact.full_name or membership.contact.email
    try:
        if verb == "approve":
            m = services.membership_approve(membership=membership, actor=request.user, role=role)
            if m.status == MS.ACTIVE:
                messages.success(request, f"{name} is now a member.")
            else:
                messages.warning(request, f"The program is full: {name} is on the waitlist.")
        elif verb == "decline":
            services.membership_decline(membership=membership, actor=request.user, reason=reason)
            messages.success(request, f"{name}'s request was declined.")
        elif verb == "remove":
            services.membership_leave(membership=membership, actor=request.user, reason=reason)
            messages.success(request, f"{name} was removed; the next on the waitlist moved up.")
        elif verb == "role":
            services.membership_set_role(membership=membership, role=role, actor=request.user)
            messages.success(request, f"{name} is now {membership.get_role_display().lower()}.")
        else:
            raise Http404
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("programs:staff-program", pk=membership.program_id)


# --- events --------------------------------------------------------------------------------


@permission_required(VIEW)
def event_list(request):
    when = request.GET.get("when", "upcoming")
    qs = selectors.event_list(upcoming=when != "past")
    context = {"when": when, "zone": staff_zone(request), **paginate(request, qs, per_page=30)}
    return render_page(
        request,
        "programs/staff/event_list.html",
        "programs/staff/partials/_events.html",
        context,
    )


@permission_required(MANAGE)
def event_edit(request, pk=None):
    event = access_event(pk) if pk else None
    initial = EventForm.initial_for(event) if event else {"program": request.GET.get("program")}
    form = EventForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if event is None:
                event = services.event_create(actor=request.user, **form.service_kwargs())
            else:
                event = services.event_update(
                    event=event, actor=request.user, **form.service_kwargs()
                )
        except ServiceError as exc:
            field = {"starts_at": "starts_local", "ends_at": "duration_minutes"}.get(
                exc.field, exc.field
            )
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            messages.success(request, f"{event.title} saved.")
            return redirect("programs:staff-event", pk=event.pk)
    return render(request, "programs/staff/event_form.html", {"form": form, "event": event})


@permission_required(VIEW)
def event_detail(request, pk):
    event = access_event(pk)
    can_manage = request.user.has_perm(MANAGE)
    can_invite = can_manage and not event.has_started and event.status == Event.Status.SCHEDULED
    context = {
        "event": event,
        "can_invite": can_invite,
        "zone": staff_zone(request),
        "guests": selectors.event_guests(event=event),
        "candidates": services.invite_candidates(event=event, limit=30) if can_invite else [],
        "minutes_form": MinutesForm(initial={"minutes": event.minutes}),
        "qset": QuestionSet.objects.filter(event=event).first(),
        "can_manage": can_manage,
    }
    return render(request, "programs/staff/event_detail.html", context)


@require_POST
@permission_required(MANAGE)
def event_invite(request, pk):
    event = access_event(pk)
    ids = [int(i) for i in request.POST.getlist("contact") if i.isdigit()]
    emails = [
        e.strip() for e in request.POST.get("emails", "").replace(";", ",").split(",") if e.strip()
    ]
    contacts = list(Contact.objects.filter(pk__in=ids).select_related("account"))
    unknown = []
    for email in emails:
        c = Contact.objects.select_related("account").filter(email__iexact=email).first()
        if c is None:
            unknown.append(email)
        elif c not in contacts:
            contacts.append(c)
    if unknown:
        messages.error(request, f"emails: no contact with {', '.join(unknown)}")
    if not contacts:
        if not unknown:
            messages.error(request, "Pick at least one person to invite.")
        return redirect("programs:staff-event", pk=pk)
    try:
        result = services.event_invite(event=event, contacts=contacts, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("programs:staff-event", pk=pk)
    if result.invited:
        messages.success(request, f"{len(result.invited)} invited (email and hub notice sent).")
    for contact, reason in result.blocked:
        messages.warning(request, f"Not invited: {contact.full_name} — {reason}")
    if result.already:
        messages.info(request, f"{len(result.already)} were already invited.")
    return redirect("programs:staff-event", pk=pk)


@require_POST
@permission_required(MANAGE)
def event_attendance(request, pk):
    event = access_event(pk)
    present = {int(i) for i in request.POST.getlist("attended") if i.isdigit()}
    listed = {int(i) for i in request.POST.getlist("listed") if i.isdigit()}
    try:
        counts = services.attendance_mark(
            event=event,
            attended_ids=sorted(present),
            absent_ids=sorted(listed - present),
            actor=request.user,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Attendance saved: {counts['attended']} newly present "
            f"(+{event.attendance_points} points each), {counts['absent']} absent.",
        )
    return redirect(reverse("programs:staff-event", args=[pk]) + "#attendance")


@require_POST
@permission_required(MANAGE)
def event_minutes(request, pk):
    event = access_event(pk)
    form = MinutesForm(request.POST)
    form.is_valid()
    publish = request.POST.get("publish") == "1"
    services.minutes_publish(
        event=event,
        minutes=form.cleaned_data.get("minutes", ""),
        actor=request.user,
        publish=publish,
    )
    messages.success(
        request, "Minutes shared with members." if publish else "Minutes saved as a draft."
    )
    return redirect(reverse("programs:staff-event", args=[pk]) + "#minutes")


@require_POST
@permission_required(MANAGE)
def event_cancel(request, pk):
    event = access_event(pk)
    services.event_cancel(event=event, actor=request.user, reason=request.POST.get("reason", ""))
    messages.success(request, "Event cancelled; guests were told in the hub.")
    return redirect("programs:staff-event", pk=pk)


@permission_required(MANAGE)
def event_questions(request, pk):
    event = access_event(pk)
    qset = QuestionSet.objects.filter(event=event).prefetch_related("questions").first()
    error = None
    if request.method == "POST" and request.POST.get("action") == "configure" and qset:
        services.question_set_configure(
            question_set=qset,
            is_open=request.POST.get("is_open") == "1",
            results_shared=request.POST.get("results_shared") == "1",
        )
        messages.success(request, "Settings saved.")
        return redirect("programs:staff-event-questions", pk=pk)
    if request.method == "POST":
        questions = []
        for i in range(1, 11):
            prompt = request.POST.get(f"prompt_{i}", "").strip()
            if not prompt:
                continue
            questions.append(
                {
                    "prompt": prompt,
                    "kind": request.POST.get(f"kind_{i}", "scale"),
                    "options": request.POST.get(f"options_{i}", "").split("\n"),
                }
            )
        try:
            services.question_set_save(
                event=event,
                title=request.POST.get("title", ""),
                intro=request.POST.get("intro", ""),
                questions=questions,
            )
        except ServiceError as exc:
            error = exc.message
        else:
            messages.success(request, "Questions saved. Members answer them on the event page.")
            return redirect("programs:staff-event-questions", pk=pk)
    existing = list(qset.questions.all()) if qset else []
    rows = []
    for i in range(1, 7 if len(existing) < 6 else len(existing) + 2):
        q = existing[i - 1] if i <= len(existing) else None
        rows.append(
            {
                "n": i,
                "prompt": q.prompt if q else "",
                "kind": q.kind if q else "scale",
                "options": "\n".join(q.options) if q else "",
            }
        )
    context = {
        "event": event,
        "qset": qset,
        "rows": rows,
        "kinds": Question.Kind.choices,
        "error": error,
        "results": selectors.question_set_results(question_set=qset) if qset else None,
    }
    return render(request, "programs/staff/event_questions.html", context)


# --- ideas ---------------------------------------------------------------------------------


@permission_required(MANAGE)
def idea_list(request):
    status = request.GET.get("status", "open")
    sort = request.GET.get("sort", "top")
    q = request.GET.get("q", "").strip()
    qs = selectors.idea_list(status=status, sort=sort, q=q)
    counts = selectors.idea_status_counts()
    context = {
        "status": status,
        "sort": sort,
        "q": q,
        "statuses": Idea.Status.choices,
        "counts": counts,
        "open_count": sum(counts.get(s, 0) for s in Idea.OPEN),
        **paginate(request, qs, per_page=40),
    }
    return render_page(
        request, "programs/staff/idea_list.html", "programs/staff/partials/_ideas.html", context
    )


@permission_required(MANAGE)
def idea_detail(request, pk):
    idea = get_object_or_404(selectors.idea_list(), pk=pk)
    form = IdeaStatusForm(
        request.POST or None, initial={"status": idea.status, "reason": idea.status_reason}
    )
    if request.method == "POST":
        if request.POST.get("action") == "comment":
            try:
                services.idea_comment(
                    idea=idea, actor=request.user, body=request.POST.get("body", "")
                )
            except ServiceError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, "Reply posted as the product team.")
            return redirect("programs:staff-idea", pk=pk)
        if form.is_valid():
            try:
                services.idea_status_set(idea=idea, actor=request.user, **form.cleaned_data)
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                if form.cleaned_data["status"] == Idea.Status.SHIPPED:
                    n = len(services.idea_audience(idea))
                    messages.success(
                        request, f"Shipped! {n} people who asked for it hear “you said, we did”."
                    )
                else:
                    messages.success(request, "Status updated; customers see the reason.")
                back = request.POST.get("back", "")
                if not (back.startswith("/programs/") and "//" not in back):
                    back = reverse("programs:staff-idea", args=[pk])
                return redirect(back)
    context = {
        "idea": idea,
        "form": form,
        "comments": list(selectors.idea_comments(idea=idea)),
        "history": list(idea.status_changes.select_related("actor")),
        "voters": list(
            Contact.objects.filter(idea_votes__idea=idea).select_related("account")[:100]
        ),
        "notified": idea.notices.count(),
    }
    return render(request, "programs/staff/idea_detail.html", context)
