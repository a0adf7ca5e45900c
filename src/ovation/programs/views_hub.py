"""Advocate pages in the hub: my programs, program and event pages (RSVP, calendar file,
structured input), ideas with votes, comments and the roadmap, and notices. Every view works
on `request.contact`; other people's data is 404, never an id from the request."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ovation.core.errors import ServiceError
from ovation.hub.access import advocate_required

from . import selectors, services
from .forms import ApplyForm, CommentForm, IdeaForm
from .ics import event_ics, ics_filename
from .models import Event, Idea, Membership, QuestionResponse, QuestionSet

MS = Membership.Status


def access_event(*, contact, pk: int) -> Event:
    """The event if the contact may see it; 404 for missing and forbidden alike."""
    event = Event.objects.select_related("program").filter(pk=pk).first()
    if event is None or not services.event_access_allowed(event=event, contact=contact):
        raise Http404
    return event


def access_idea(*, contact, pk: int) -> Idea:
    try:
        return selectors.idea_get(pk=pk, contact=contact)
    except Idea.DoesNotExist as exc:
        raise Http404 from exc


def _error(request, exc: ServiceError) -> None:
    messages.error(request, exc.message)


@require_GET
@advocate_required
def hub_list(request):
    contact = request.contact
    mine, others = selectors.hub_programs(contact=contact)
    context = {
        "contact": contact,
        "mine": mine,
        "others": others,
        "events": list(selectors.events_for_contact(contact=contact)[:8]),
        "notices": selectors.notices_for(contact=contact, limit=5),
    }
    return render(request, "programs/hub/program_list.html", context)


@require_GET
@advocate_required
def hub_program(request, pk):
    contact = request.contact
    item = selectors.hub_program_get(contact=contact, pk=pk)
    if item is None:
        raise Http404
    is_member = item.membership is not None and item.membership.status == MS.ACTIVE
    context = {
        "contact": contact,
        "item": item,
        "program": item.program,
        "is_member": is_member,
        # Only members see who else is in the program.
        "members": list(selectors.program_members(program=item.program, statuses=[MS.ACTIVE]))
        if is_member
        else [],
        "upcoming": list(selectors.events_for_contact(contact=contact, program_id=item.program.pk)),
        "past": list(
            selectors.events_for_contact(
                contact=contact, upcoming=False, program_id=item.program.pk
            )[:10]
        ),
        "apply_form": ApplyForm(),
    }
    return render(request, "programs/hub/program_detail.html", context)


@require_POST
@advocate_required
def hub_program_apply(request, pk):
    item = selectors.hub_program_get(contact=request.contact, pk=pk)
    if item is None:
        raise Http404
    form = ApplyForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        m = services.membership_apply(program=item.program, contact=request.contact, note=note)
    except ServiceError as exc:
        _error(request, exc)
    else:
        if m.status == MS.ACTIVE:
            messages.success(request, f"Welcome to {item.program.name}!")
        elif m.status == MS.WAITLISTED:
            messages.success(request, "The program is full: you're on the waitlist, in order.")
        else:
            messages.success(request, "Thanks for applying! The team will get back to you shortly.")
    return redirect("programs:hub-program", pk=pk)


@require_POST
@advocate_required
def hub_program_leave(request, pk):
    m = Membership.objects.filter(program_id=pk, contact=request.contact).first()
    if m is None:
        raise Http404
    try:
        services.membership_leave(membership=m)
    except ServiceError as exc:
        _error(request, exc)
    else:
        messages.success(request, f"You have left {m.program.name}. You're welcome back anytime.")
    return redirect("programs:hub-program", pk=pk)


def _question_context(event: Event, contact) -> dict:
    qset = QuestionSet.objects.filter(event=event).prefetch_related("questions").first()
    if qset is None:
        return {"qset": None}
    answered = QuestionResponse.objects.filter(question_set=qset, contact=contact).exists()
    results = selectors.question_set_results(question_set=qset) if qset.results_shared else None
    return {"qset": qset, "answered": answered, "results": results}


@require_GET
@advocate_required
def hub_event(request, pk):
    contact = request.contact
    event = access_event(contact=contact, pk=pk)
    rsvp = event.rsvps.filter(contact=contact).first()
    is_member = bool(
        event.program_id
        and Membership.objects.filter(
            program_id=event.program_id, contact=contact, status=MS.ACTIVE
        ).exists()
    )
    guests = (
        list(
            event.rsvps.filter(response="yes", is_waitlisted=False)
            .select_related("contact", "contact__account")
            .order_by("contact__first_name")[:60]
        )
        if (is_member or (rsvp and rsvp.is_confirmed))
        else []
    )
    context = {
        "contact": contact,
        "event": event,
        "rsvp": rsvp,
        "guests": guests,
        "is_member": is_member,
        "seats_left": None
        if event.capacity is None
        else max(
            event.capacity - event.rsvps.filter(response="yes", is_waitlisted=False).count(), 0
        ),
        **_question_context(event, contact),
    }
    return render(request, "programs/hub/event_detail.html", context)


@require_POST
@advocate_required
def hub_event_rsvp(request, pk):
    contact = request.contact
    event = access_event(contact=contact, pk=pk)
    try:
        rsvp = services.rsvp_set(
            event=event, contact=contact, response=request.POST.get("response", "")
        )
    except ServiceError as exc:
        _error(request, exc)
    else:
        if rsvp.response == "yes" and rsvp.is_waitlisted:
            messages.success(
                request, "It's full, so you're on the waitlist. We'll tell you if a seat opens."
            )
        elif rsvp.response == "yes":
            messages.success(request, "You're in! Add it to your calendar below.")
        elif rsvp.response == "maybe":
            messages.success(request, "Noted as maybe. Come back and confirm when you know.")
        else:
            messages.success(request, "Thanks for letting us know. Maybe next time!")
    return redirect("programs:hub-event", pk=pk)


@require_GET
@advocate_required
def hub_event_ics(request, pk):
    event = access_event(contact=request.contact, pk=pk)
    body = event_ics(
        event, url=request.build_absolute_uri(reverse("programs:hub-event", args=[pk]))
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{ics_filename(event)}"'
    return response


@require_POST
@advocate_required
def hub_event_answers(request, pk):
    event = access_event(contact=request.contact, pk=pk)
    qset = QuestionSet.objects.filter(event=event).first()
    if qset is None:
        raise Http404
    answers = {k[1:]: v for k, v in request.POST.items() if k.startswith("q") and k[1:].isdigit()}
    try:
        services.question_response_submit(
            question_set=qset, contact=request.contact, answers=answers
        )
    except ServiceError as exc:
        _error(request, exc)
    else:
        messages.success(request, "Thank you! Your input goes straight to the product team.")
    return redirect(reverse("programs:hub-event", args=[pk]) + "#input")


# --- ideas ---------------------------------------------------------------------------------


@advocate_required
def hub_ideas(request):
    contact = request.contact
    form = IdeaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            idea = services.idea_create(contact=contact, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "Thanks! Your idea is up. Others can now vote for it.")
            return redirect("programs:hub-idea", pk=idea.pk)
    view = request.GET.get("view", "ideas")
    sort = request.GET.get("sort", "top")
    status = request.GET.get("status", "open")
    context = {
        "contact": contact,
        "form": form,
        "view": view,
        "sort": sort,
        "status": status,
        "statuses": [("open", "Open"), *Idea.Status.choices],
        "notices": [
            n
            for n in selectors.notices_for(contact=contact, limit=10)
            if n.kind == "you_said_we_did"
        ][:3],
    }
    if view == "roadmap":
        context["columns"] = selectors.roadmap(contact=contact)
    else:
        context["ideas"] = list(selectors.idea_list(contact=contact, status=status, sort=sort)[:50])
    return render(request, "programs/hub/ideas.html", context)


@advocate_required
def hub_idea(request, pk):
    contact = request.contact
    idea = access_idea(contact=contact, pk=pk)
    form = CommentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.idea_comment(idea=idea, contact=contact, body=form.cleaned_data["body"])
        except ServiceError as exc:
            form.add_error("body", exc.message)
        else:
            messages.success(request, "Comment added.")
            return redirect(reverse("programs:hub-idea", args=[pk]) + "#comments")
    context = {
        "contact": contact,
        "idea": idea,
        "form": form,
        "comments": list(selectors.idea_comments(idea=idea)),
        "history": list(idea.status_changes.exclude(from_status="").order_by("changed_at")),
    }
    return render(request, "programs/hub/idea_detail.html", context)


@require_POST
@advocate_required
def hub_idea_vote(request, pk):
    contact = request.contact
    idea = access_idea(contact=contact, pk=pk)
    try:
        services.idea_vote(idea=idea, contact=contact, voted=request.POST.get("vote") == "1")
    except ServiceError as exc:
        if request.htmx:
            return HttpResponse(exc.message, status=409)
        _error(request, exc)
    if request.htmx:
        idea = access_idea(contact=contact, pk=pk)
        return render(request, "programs/hub/partials/_vote.html", {"idea": idea})
    nxt = request.POST.get("next", "")
    if not (nxt.startswith("/hub/") and "//" not in nxt):
        nxt = reverse("programs:hub-idea", args=[pk])
    return redirect(nxt)


@advocate_required
def hub_notices(request):
    contact = request.contact
    if request.method == "POST":
        services.notice_mark_read(contact=contact)
        return redirect("programs:hub-notices")
    return render(
        request,
        "programs/hub/notices.html",
        {"contact": contact, "notices": selectors.notices_for(contact=contact, limit=100)},
    )
