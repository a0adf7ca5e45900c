"""Staff pages of the hub (/hub-admin/): engagement, challenge builder with live preview,
review queue, invitations, levels and badges, ledger per contact. All need
ovation.manage_programs."""

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ovation.core.errors import ServiceError
from ovation.core.http import paginate, permission_required, render_page
from ovation.directory.models import Contact
from ovation.ledger.services import balance_get

from . import selectors, services
from .forms import BadgeForm, BulkInviteForm, ChallengeForm, InviteForm, ManualAwardForm, RejectForm
from .models import Badge, Challenge, Level, Submission
from .rendering import render_markdown
from .tasks import invite_bulk_task

PERM = "ovation.manage_programs"


@require_GET
@permission_required(PERM)
def staff_home(request):
    stats = selectors.hub_stats()
    top = max([n for _, n in stats["by_kind"]] or [1])
    return render(
        request,
        "hub/staff/home.html",
        {
            "stats": stats,
            "by_kind": [(label, n, int(100 * n / top)) for label, n in stats["by_kind"]],
            "pending": list(selectors.review_queue()[:5]),
            "leaders": selectors.leaderboard_month(limit=5, reveal=True),
        },
    )


# --- Challenges ---------------------------------------------------------------------------------


@require_GET
@permission_required(PERM)
def challenge_list(request):
    status = request.GET.get("status") or None
    kind = request.GET.get("kind") or None
    qs = selectors.challenge_list_staff(
        status=status if status in Challenge.Status.values else None,
        kind=kind if kind in Challenge.Kind.values else None,
    )
    return render(
        request,
        "hub/staff/challenge_list.html",
        {
            **paginate(request, qs),
            "status": status,
            "kind": kind,
            "statuses": Challenge.Status.choices,
            "kinds": Challenge.Kind.choices,
        },
    )


def _save_challenge(request, form: ChallengeForm):
    challenge = form.save(commit=False)
    challenge.motivators = form.cleaned_data["motivators"]
    challenge.audience_stages = form.cleaned_data["audience_stages"]
    challenge.audience_employee_bands = form.cleaned_data["audience_employee_bands"]
    challenge.audience_program_ids = form.cleaned_data["audience_program_ids"]
    questions = form.cleaned_data["questions_text"] if challenge.has_questions else []
    return services.challenge_save(
        challenge=challenge,
        actor=request.user,
        questions=questions,
        industry_ids=[i.pk for i in form.cleaned_data["audience_industries"]],
        region_ids=[r.pk for r in form.cleaned_data["audience_regions"]],
    )


@require_http_methods(["GET", "POST"])
@permission_required(PERM)
def challenge_edit(request, pk: int | None = None):
    instance = get_object_or_404(Challenge, pk=pk) if pk else None
    if instance is not None:
        initial = {
            "motivators": instance.motivators,
            "audience_stages": instance.audience_stages,
            "audience_employee_bands": instance.audience_employee_bands,
            "audience_industries": list(instance.audience_industries.all()),
            "audience_regions": list(instance.audience_regions.all()),
        }
    else:
        kind = request.GET.get("kind")
        initial = {"kind": kind if kind in Challenge.Kind.values else Challenge.Kind.CUSTOM}
    form = ChallengeForm(request.POST or None, instance=instance, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            challenge = _save_challenge(request, form)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request, f"Saved “{challenge.title}” ({challenge.get_status_display().lower()})."
            )
            return redirect("hub:staff-challenge-edit", pk=challenge.pk)
    preview = _preview_context(form, instance)
    return render(
        request,
        "hub/staff/challenge_builder.html",
        {"form": form, "challenge": instance, **preview},
        status=400 if request.method == "POST" else 200,
    )


def _preview_context(form: ChallengeForm, instance: Challenge | None) -> dict:
    data = form.data if form.is_bound else None

    def value(name, default=""):
        if data is not None:
            return data.get(name, default)
        if instance is not None:
            return getattr(instance, name, default)
        return (
            form.initial.get(name, form.fields[name].initial if name in form.fields else default)
            or default
        )

    kind = value("kind", Challenge.Kind.CUSTOM)
    try:
        points = int(value("points", 50) or 0)
    except (TypeError, ValueError):
        points = 0
    try:
        effort = int(value("effort_minutes", 5) or 5)
    except (TypeError, ValueError):
        effort = 5
    labels = dict(Challenge.Kind.choices)
    motivators = (
        data.getlist("motivators")
        if data is not None
        else (instance.motivators if instance else [])
    )
    from .models import Motivator

    return {
        "preview": {
            "title": value("title") or "Your challenge title",
            "summary": value("summary"),
            "kind": kind,
            "kind_label": labels.get(kind, "Custom"),
            "points": points,
            "effort": dict(Challenge.EFFORT_CHOICES).get(effort, f"{effort} minutes"),
            "body_html": render_markdown(value("body")),
            "disclosure_text": value("disclosure_text"),
            "share_text": value("share_text"),
            "action_url": value("action_url"),
            "action_label": value("action_label") or "Open",
            "proof_kind": value("proof_kind", "none"),
            "motivators": [Motivator(m).label for m in motivators if m in Motivator.values],
        }
    }


@require_POST
@permission_required(PERM)
def challenge_preview(request):
    form = ChallengeForm(request.POST)
    return render(
        request, "hub/staff/partials/_challenge_preview.html", _preview_context(form, None)
    )


# --- Review queue -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(PERM)
def review_queue(request):
    if request.method == "POST":
        ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
        if not ids:
            messages.warning(request, "Select the submissions to approve.")
        else:
            approved, skipped = services.submissions_bulk_approve(ids=ids, actor=request.user)
            note = f"Approved {approved} submission{'s' if approved != 1 else ''}."
            if skipped:
                note += f" {skipped} skipped (already reviewed)."
            messages.success(request, note)
        return redirect(request.get_full_path())
    status = request.GET.get("status", Submission.Status.PENDING)
    if status not in Submission.Status.values and status != "all":
        status = Submission.Status.PENDING
    kind = request.GET.get("kind") or None
    challenge_id = request.GET.get("challenge")
    qs = selectors.review_queue(
        status=None if status == "all" else status,
        challenge_id=int(challenge_id) if challenge_id and challenge_id.isdigit() else None,
        kind=kind if kind in Challenge.Kind.values else None,
        q=request.GET.get("q", ""),
    )
    counts = dict(Submission.objects.values_list("status").annotate(n=Count("id")).order_by())
    challenges = (
        Challenge.objects.filter(
            Q(submissions__status=Submission.Status.PENDING)
            | Q(pk=challenge_id if challenge_id and challenge_id.isdigit() else 0)
        )
        .distinct()
        .order_by("title")
        .only("id", "title")
    )
    return render_page(
        request,
        "hub/staff/review_queue.html",
        "hub/staff/partials/_review_rows.html",
        {
            **paginate(request, qs, per_page=40),
            "status": status,
            "kind": kind,
            "challenge_id": challenge_id,
            "q": request.GET.get("q", ""),
            "statuses": [
                ("pending", "Waiting"),
                ("approved", "Approved"),
                ("rejected", "Rejected"),
                ("failed", "Not passed"),
                ("all", "All"),
            ],
            "counts": counts,
            "kinds": Challenge.Kind.choices,
            "challenges": challenges,
        },
    )


@require_GET
@permission_required(PERM)
def submission_detail(request, pk: int):
    submission = selectors.access_submission(user=request.user, submission_id=pk)
    spendable_lifetime = balance_get(contact=submission.contact)
    questions = (
        list(submission.challenge.questions.all()) if submission.challenge.has_questions else []
    )
    return render(
        request,
        "hub/staff/submission_detail.html",
        {
            "s": submission,
            "events": list(submission.events.select_related("actor")),
            "reject_form": RejectForm(),
            "balance": spendable_lifetime,
            "questions": [
                (
                    q,
                    submission.answers.get(str(q.pk)),
                    q.is_correct(submission.answers.get(str(q.pk))),
                )
                for q in questions
            ],
        },
    )


@require_POST
@permission_required(PERM)
def submission_approve(request, pk: int):
    submission = selectors.access_submission(user=request.user, submission_id=pk)
    try:
        _, changed = services.submission_approve(submission=submission, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        if changed:
            messages.success(
                request,
                f"Approved: +{submission.challenge.points} points for {submission.contact}.",
            )
        else:
            messages.info(request, "This submission was already approved.")
    return redirect(request.POST.get("next") or "hub:staff-review")


@require_POST
@permission_required(PERM)
def submission_reject(request, pk: int):
    submission = selectors.access_submission(user=request.user, submission_id=pk)
    try:
        services.submission_reject(
            submission=submission, actor=request.user, reason=request.POST.get("reason", "")
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("hub:staff-submission", pk=pk)
    messages.success(request, f"Rejected; {submission.contact} will see your reason.")
    return redirect(request.POST.get("next") or "hub:staff-review")


# --- Invitations --------------------------------------------------------------------------------

INVITE_INLINE_MAX = 50  # larger segments are invited by the worker


@require_http_methods(["GET", "POST"])
@permission_required(PERM)
def invite(request):
    mode = request.POST.get("mode")
    single = InviteForm(
        request.POST if mode == "single" else None, initial={"emails": request.GET.get("email", "")}
    )
    bulk = BulkInviteForm(
        request.POST if mode == "bulk" else None,
        initial={"stages": ["promoter", "advocate", "champion"]},
    )
    result = None
    if mode == "single" and single.is_valid():
        emails = single.cleaned_data["emails"]
        lookup = Q()
        for email in emails:
            lookup |= Q(email__iexact=email)
        found = {c.email.lower(): c for c in Contact.objects.filter(lookup)}
        missing = [e for e in emails if e not in found]
        invited, skipped = services.advocates_invite_bulk(
            contacts=[found[e] for e in emails if e in found],
            invited_by=request.user,
            message=single.cleaned_data["message"],
        )
        skipped = [f"{e}: not in the directory" for e in missing] + skipped
        result = {"invited": invited, "skipped": skipped}
    elif mode == "bulk" and bulk.is_valid():
        data = bulk.cleaned_data
        qs = selectors.invite_candidates(
            stages=data["stages"],
            industry_id=data["industry"].pk if data["industry"] else None,
            region_id=data["region"].pk if data["region"] else None,
            employee_band=data["employee_band"],
        )
        if request.POST.get("confirm") == "yes":
            contacts = list(qs[: data["limit"]])
            if len(contacts) > INVITE_INLINE_MAX:
                # Hundreds of accounts and emails: the worker does it, the page answers now.
                invite_bulk_task.enqueue(
                    contact_ids=[c.pk for c in contacts],
                    invited_by_id=request.user.pk,
                    message=data["message"],
                )
                messages.success(
                    request,
                    f"Inviting {len(contacts)} advocates in the background; they appear under "
                    "Recent invitations as their welcome emails go out.",
                )
                return redirect("hub:staff-invite")
            invited, skipped = services.advocates_invite_bulk(
                contacts=contacts, invited_by=request.user, message=data["message"]
            )
            result = {"invited": invited, "skipped": skipped}
        else:
            result = {"preview": qs.count(), "sample": list(qs[:8]), "limit": data["limit"]}
    if result and "invited" in result:
        messages.success(
            request, f"Invited {result['invited']} advocate{'s' if result['invited'] != 1 else ''}."
        )
    recent = (
        Contact.objects.filter(hub_profile__invited_at__isnull=False)
        .select_related("account", "hub_profile", "hub_profile__invited_by")
        .order_by("-hub_profile__invited_at")[:15]
    )
    return render(
        request,
        "hub/staff/invite.html",
        {"single": single, "bulk": bulk, "result": result, "mode": mode, "recent": recent},
    )


# --- Levels and badges --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(PERM)
def levels_badges(request):
    levels = list(Level.objects.order_by("threshold"))
    award_form = ManualAwardForm(request.POST if request.POST.get("section") == "award" else None)
    if request.method == "POST":
        section = request.POST.get("section")
        try:
            if section == "levels":
                rows = []
                for i in range(len(levels) + 3):
                    name = request.POST.get(f"name_{i}", "").strip()
                    threshold = request.POST.get(f"threshold_{i}", "").strip()
                    if not name and not threshold:
                        continue
                    if not threshold.isdigit():
                        raise ServiceError(
                            f"row {i + 1}: the threshold must be a whole number", field="threshold"
                        )
                    rows.append((name, int(threshold), request.POST.get(f"description_{i}", "")))
                services.levels_replace(levels=rows)
                messages.success(request, "Levels saved.")
                return redirect("hub:staff-levels")
            if section == "award" and award_form.is_valid():
                contact = Contact.objects.filter(
                    email__iexact=award_form.cleaned_data["email"]
                ).first()
                if contact is None:
                    raise ServiceError("no contact with that email", field="email")
                _, created = services.badge_award(
                    badge=award_form.cleaned_data["badge"],
                    contact=contact,
                    actor=request.user,
                    reason=award_form.cleaned_data["reason"],
                )
                messages.success(
                    request,
                    f"Awarded {award_form.cleaned_data['badge'].name} to {contact}."
                    if created
                    else f"{contact} already has that badge.",
                )
                return redirect("hub:staff-levels")
        except ServiceError as exc:
            messages.error(request, exc.message)
    badges = Badge.objects.annotate(holders=Count("awards")).order_by("name")
    level_counts = selectors.level_population(levels)
    return render(
        request,
        "hub/staff/levels_badges.html",
        {
            "levels": [(i, lvl, level_counts.get(lvl.pk, 0)) for i, lvl in enumerate(levels)],
            "blank_rows": range(len(levels), len(levels) + 3),
            "badges": badges,
            "award_form": award_form,
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required(PERM)
def badge_edit(request, pk: int | None = None):
    badge = get_object_or_404(Badge, pk=pk) if pk else None
    form = BadgeForm(request.POST or None, instance=badge)
    if request.method == "POST" and form.is_valid():
        badge = form.save()
        messages.success(request, f"Badge “{badge.name}” saved.")
        return redirect("hub:staff-levels")
    return render(request, "hub/staff/badge_form.html", {"form": form, "badge": badge})


# --- Ledger per contact -------------------------------------------------------------------------


@require_GET
@permission_required(PERM)
def ledger(request, contact_id: int | None = None):
    q = request.GET.get("q", "").strip()
    contact = None
    if contact_id:
        contact = Contact.objects.select_related("account").filter(pk=contact_id).first()
        if contact is None:
            raise Http404
    elif q:
        contact = Contact.objects.select_related("account").filter(email__iexact=q).first()
        if contact is None:
            messages.warning(request, f"No contact with the email {q}.")
    ctx = {"q": q, "contact": contact}
    if contact is not None:
        ctx.update(
            paginate(request, selectors.ledger_for_contact(contact=contact), per_page=50),
            balance=balance_get(contact=contact),
        )
    else:
        ctx["top"] = selectors.leaderboard_all_time(limit=15, reveal=True)
    return render(request, "hub/staff/ledger.html", ctx)
