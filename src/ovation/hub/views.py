"""Advocate-facing hub pages: sign-in, feed, challenges, leaderboard, profile. Every page
works on `request.contact` (set by `advocate_required`)."""

import json
from pathlib import Path

from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from ovation.core.errors import ServiceError
from ovation.directory.selectors import consent_current

from . import selectors, services
from .access import advocate_required, current_contact
from .forms import ConsentsForm, LoginCodeForm, LoginEmailForm, MotivationsForm, PreferencesForm
from .models import PROOF_EXTENSIONS, Challenge, Submission

SESSION_EMAIL = "hub_login_email"
SESSION_NEXT = "hub_login_next"
LOGIN_IP_RATE = "20/h"
VERIFY_IP_RATE = "40/h"


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _safe_next(request, candidate: str | None) -> str:
    if (
        candidate
        and candidate.startswith("/hub/")
        and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()})
    ):
        return candidate
    return reverse("hub:home")


def _sign_in(request, user) -> None:
    request.session.pop(SESSION_EMAIL, None)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    services.hub_login_record(contact=user.contact)


def _too_many(request, template="hub/login.html", ctx=None):
    ctx = {"form": LoginEmailForm(), "too_many": True, **(ctx or {})}
    return render(request, template, ctx, status=429)


# --- Sign-in ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def login_view(request):
    if current_contact(request) is not None:
        return redirect(_safe_next(request, request.GET.get("next")))
    if request.method == "POST":
        form = LoginEmailForm(request.POST)
        if is_ratelimited(
            request, group="hub-login", key="ip", rate=LOGIN_IP_RATE, method="POST", increment=True
        ):
            return _too_many(request)
        if form.is_valid():
            email = form.cleaned_data["email"].lower()
            if services.login_rate_exceeded(email=email):
                return _too_many(request)
            services.login_token_request(email=email, ip=_client_ip(request))
            request.session[SESSION_EMAIL] = email
            request.session[SESSION_NEXT] = _safe_next(request, request.POST.get("next"))
            # The same page for every address: whether it is an advocate is never revealed.
            return redirect("hub:login-code")
    else:
        form = LoginEmailForm(initial={"email": request.GET.get("email", "")})
    return render(request, "hub/login.html", {"form": form, "next": request.GET.get("next", "")})


@require_http_methods(["GET", "POST"])
def login_code_view(request):
    email = request.session.get(SESSION_EMAIL)
    if not email:
        return redirect("hub:login")
    form = LoginCodeForm(request.POST or None)
    if request.method == "POST":
        if is_ratelimited(
            request,
            group="hub-login-verify",
            key="ip",
            rate=VERIFY_IP_RATE,
            method="POST",
            increment=True,
        ):
            return _too_many(request, "hub/login_code.html", {"form": form, "email": email})
        if form.is_valid():
            try:
                user = services.login_code_verify(email=email, code=form.cleaned_data["code"])
            except ServiceError as exc:
                form.add_error("code", exc.message)
            else:
                next_url = request.session.pop(SESSION_NEXT, None)
                _sign_in(request, user)
                return redirect(_safe_next(request, next_url))
    return render(request, "hub/login_code.html", {"form": form, "email": email})


@require_http_methods(["GET", "POST"])
def login_link_view(request, secret: str):
    """GET shows a confirm button and changes nothing (mail scanners follow links); only the
    POST from this page signs in and uses the link up."""
    if request.method == "POST":
        if is_ratelimited(
            request,
            group="hub-login-verify",
            key="ip",
            rate=VERIFY_IP_RATE,
            method="POST",
            increment=True,
        ):
            return _too_many(request)
        try:
            user = services.login_link_consume(secret=secret)
        except ServiceError:
            return render(request, "hub/login_link.html", {"expired": True}, status=410)
        _sign_in(request, user)
        return redirect("hub:home")
    token = services.login_link_peek(secret=secret)
    response = render(
        request,
        "hub/login_link.html",
        {"expired": token is None, "email": token.user.email if token else ""},
        status=200 if token else 410,
    )
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def logout_view(request):
    logout(request)
    messages.success(request, "You are signed out. See you soon!")
    return redirect("hub:login")


# --- Feed and challenges ------------------------------------------------------------------------


def _points_context(contact):
    spendable, lifetime = selectors.contact_points(contact=contact)
    return selectors.level_progress(spendable=spendable, lifetime=lifetime)


@require_GET
@advocate_required
def home(request):
    contact = request.contact
    progress = _points_context(contact)
    celebrations = services.celebrations_take(contact=contact)
    feed = selectors.challenge_feed(contact=contact, level=progress.level)
    open_items = [i for i in feed if i.can_do]
    recent = list(selectors.submissions_for_contact(contact=contact)[:5])
    profile = services.hub_profile_get(contact=contact)
    # "You said, we did" notices from programs; the recommended asks load after the page.
    from ovation.programs.selectors import notices_for

    return render(
        request,
        "hub/home.html",
        {
            "notices": notices_for(contact=contact, limit=3),
            "contact": contact,
            "progress": progress,
            "celebrations": celebrations,
            "featured": open_items[:6],
            "open_count": len(open_items),
            "recent": recent,
            "badges": selectors.badges_for_contact(contact=contact)[:6],
            "rank": selectors.contact_rank(contact=contact),
            "profile": profile,
            "show_welcome": profile.welcome_message and not recent,
            "needs_motivations": profile.motivations_updated_at is None,
        },
    )


@require_GET
@advocate_required
def challenge_list(request):
    contact = request.contact
    kind = request.GET.get("kind") or None
    if kind not in Challenge.Kind.values:
        kind = None
    progress = _points_context(contact)
    all_items = selectors.challenge_feed(contact=contact, level=progress.level)
    feed = [i for i in all_items if kind is None or i.challenge.kind == kind]
    kinds_available = sorted({i.challenge.kind for i in all_items})
    labels = dict(Challenge.Kind.choices)
    return render(
        request,
        "hub/challenge_list.html",
        {
            "open": [i for i in feed if i.can_do],
            "done": [i for i in feed if not i.can_do],
            "kind": kind,
            "kinds": [(k, labels[k]) for k in kinds_available],
            "progress": progress,
        },
    )


@require_http_methods(["GET", "POST"])
@advocate_required
def challenge_detail(request, pk: int):
    contact = request.contact
    challenge = selectors.access_challenge_for_contact(contact=contact, challenge_id=pk)
    mine = list(
        selectors.submissions_for_contact(contact=contact, challenge=challenge).prefetch_related(
            "events"
        )
    )
    error = None
    result = None
    if request.method == "POST":
        answers = {
            key.removeprefix("q_"): value
            for key, value in request.POST.items()
            if key.startswith("q_")
        }
        try:
            result = services.submission_create(
                challenge=challenge,
                contact=contact,
                proof_url=request.POST.get("proof_url", ""),
                proof_text=request.POST.get("proof_text", ""),
                proof_file=request.FILES.get("proof_file"),
                answers=answers,
            )
        except ServiceError as exc:
            error = exc
        else:
            if result.status == Submission.Status.APPROVED:
                messages.success(request, f"Done! +{result.points_awarded} points.")
            elif result.status == Submission.Status.PENDING:
                messages.success(request, "Thanks! Your submission is with the team for review.")
            else:
                messages.warning(
                    request,
                    f"You got {result.score} of {result.score_total} right. Have another go!",
                )
            return redirect("hub:challenge-detail", pk=challenge.pk)
    holding = sum(1 for s in mine if s.slot is not None)
    full = (
        challenge.total_limit is not None and challenge.completions_count >= challenge.total_limit
    )
    can_do = challenge.is_live() and holding < challenge.per_person_limit and not full
    last_failed = next((s for s in mine if s.status == Submission.Status.FAILED), None)
    return render(
        request,
        "hub/challenge_detail.html",
        {
            "challenge": challenge,
            "mine": mine,
            "can_do": can_do,
            "is_full": full,
            "error": error,
            "posted": request.POST if error else {},
            "questions": list(challenge.questions.all()) if challenge.has_questions else [],
            "last_failed": last_failed if mine and mine[0] is last_failed else None,
            "accept": ",".join(PROOF_EXTENSIONS),
            "share_url": _share_url(challenge),
        },
        status=400 if error else 200,
    )


def _share_url(challenge):
    from urllib.parse import quote

    if challenge.kind != Challenge.Kind.SOCIAL_SHARE or not challenge.share_text:
        return ""
    text = challenge.share_text
    if challenge.action_url:
        return "https://www.linkedin.com/sharing/share-offsite/?url=" + quote(
            challenge.action_url, safe=""
        )
    return "https://twitter.com/intent/tweet?text=" + quote(text, safe="")


@require_GET
def submission_proof(request, pk: int):
    """Serve an uploaded proof to its owner or a hub manager: always as a download with a
    safe type, never rendered as HTML by the browser."""
    if not request.user.is_authenticated:
        raise Http404
    submission = selectors.access_submission(user=request.user, submission_id=pk)
    if not submission.proof_file:
        raise Http404
    ext = Path(submission.proof_file.name).suffix.lower()
    content_type = PROOF_EXTENSIONS.get(ext) or "application/octet-stream"
    response = FileResponse(
        submission.proof_file.open("rb"),
        as_attachment=True,
        filename=submission.proof_file_name or f"proof{ext}",
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- Leaderboard --------------------------------------------------------------------------------


@require_GET
@advocate_required
def leaderboard(request):
    contact = request.contact
    board = request.GET.get("board", "month")
    programs = selectors.leaderboard_programs()
    program = None
    contact_ids = None
    if board.startswith("program-"):
        try:
            program_id = int(board.removeprefix("program-"))
        except ValueError:
            program_id = None
        program = next((p for p in programs if p[0] == program_id), None)
        if program is None:
            board = "month"
        else:
            contact_ids = selectors.program_member_ids(program[0])
    if board == "all":
        rows = selectors.leaderboard_all_time(viewer=contact, limit=50)
    elif program is not None:
        rows = selectors.leaderboard_all_time(viewer=contact, limit=50, contact_ids=contact_ids)
    else:
        board = "month"
        rows = selectors.leaderboard_month(viewer=contact, limit=50)
    profile = services.hub_profile_get(contact=contact)
    return render(
        request,
        "hub/leaderboard.html",
        {
            "rows": rows,
            "board": board,
            "programs": programs,
            "program": program,
            "profile": profile,
            "me_listed": any(r.is_me for r in rows),
            "progress": _points_context(contact),
            "month": timezone.localtime().strftime("%B"),
        },
    )


# --- Profile ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@advocate_required
def profile(request):
    contact = request.contact
    hub_profile = services.hub_profile_get(contact=contact)
    current = consent_current(contact=contact)
    section = request.POST.get("section")
    prefs_form = PreferencesForm(
        request.POST if section == "prefs" else None,
        initial={
            "leaderboard_visibility": hub_profile.leaderboard_visibility,
            "email_digest": hub_profile.email_digest,
            "notify_on_review": hub_profile.notify_on_review,
            "notify_on_badge": hub_profile.notify_on_badge,
        },
    )
    motivations_form = MotivationsForm(
        request.POST if section == "motivations" else None,
        initial_ratings=selectors.motivation_answers(contact=contact),
    )
    consents_form = ConsentsForm(request.POST if section == "consents" else None, current=current)
    if request.method == "POST":
        try:
            if section == "prefs" and prefs_form.is_valid():
                services.hub_profile_update(contact=contact, **prefs_form.cleaned_data)
                messages.success(request, "Preferences saved.")
                return redirect("hub:profile")
            if section == "motivations" and motivations_form.is_valid():
                services.motivations_save(contact=contact, ratings=motivations_form.ratings())
                messages.success(request, "Thanks! We'll suggest challenges you'll enjoy.")
                return redirect("hub:profile")
            if section == "consents" and consents_form.is_valid():
                changed = services.hub_consents_update(
                    contact=contact, decisions=consents_form.cleaned_data, actor=request.user
                )
                messages.success(
                    request,
                    f"Consent saved ({len(changed)} change{'s' if len(changed) != 1 else ''}).",
                )
                return redirect("hub:profile")
        except ServiceError as exc:
            messages.error(request, exc.message)
    progress = _points_context(contact)
    history = list(contact.consents.order_by("-recorded_at", "-id")[:20])
    return render(
        request,
        "hub/profile.html",
        {
            "contact": contact,
            "hub_profile": hub_profile,
            "progress": progress,
            "levels": selectors.levels_all(),
            "badges": selectors.badges_catalogue(contact=contact),
            "prefs_form": prefs_form,
            "motivations_form": motivations_form,
            "consents_form": consents_form,
            "consent_history": history,
            "submissions": list(selectors.submissions_for_contact(contact=contact)[:20]),
            "activities": selectors.recent_activity_for_contact(contact=contact),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@advocate_required
def data_export(request):
    data = selectors.hub_data_export(contact=request.contact)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="my-acme-advocates-data.json"'
    return response
