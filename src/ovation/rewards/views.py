"""Pages: the advocate's catalogue, redemption and history (hub), and the staff catalogue,
fulfilment queue and gift policies."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from ovation.core.errors import ServiceError
from ovation.core.http import paginate, permission_required, render_page
from ovation.core.images import image_response
from ovation.directory.models import Account
from ovation.hub.access import advocate_required
from ovation.ledger.services import balance_get

from . import selectors
from .forms import PolicyForm, RedeemForm, RewardForm, TransitionForm
from .models import Redemption, Reward
from .services import (
    policy_allows,
    policy_set,
    redemption_create,
    redemption_note_add,
    redemption_transition,
    reward_create,
    reward_image_clean,
    reward_update,
)

# --- Hub (advocates) ---------------------------------------------------------------------------


def _card(reward: Reward, *, spendable: int, policy) -> dict:
    """What the catalogue needs to say about one reward for this advocate."""
    blocked = ""
    if policy is not None and reward.kind != Reward.Kind.DONATION:
        blocked = "Charity donations only for your company"
    elif not reward.is_in_stock:
        blocked = "Out of stock"
    elif reward.per_person_limit and getattr(reward, "mine", 0) >= reward.per_person_limit:
        blocked = "You have redeemed this"
    short = max(0, reward.cost - spendable)
    return {
        "reward": reward,
        "blocked": blocked,
        "short": short,
        "progress_pct": min(100, round(100 * spendable / reward.cost)) if reward.cost else 100,
        "can_redeem": not blocked and not short,
    }


@advocate_required
def hub_catalogue(request):
    contact = request.contact
    kind = request.GET.get("kind", "")
    if kind not in Reward.Kind.values:
        kind = ""
    balance = balance_get(contact=contact)
    policy = selectors.policy_for_contact(contact)
    rewards = selectors.reward_catalogue(contact=contact, kind=kind)
    cards = [_card(r, spendable=balance.spendable, policy=policy) for r in rewards]
    context = {
        "cards": cards,
        "balance": balance,
        "policy": policy,
        "kind": kind,
        "kinds": Reward.Kind.choices,
        "open_count": selectors.redemption_list_for_contact(contact=contact)
        .filter(status__in=Redemption.OPEN_STATUSES)
        .count(),
    }
    return render(request, "rewards/hub_catalogue.html", context)


def _hub_detail(request, reward, form, *, confirming=False, status=200):
    contact = request.contact
    balance = balance_get(contact=contact)
    card = _card(reward, spendable=balance.spendable, policy=selectors.policy_for_contact(contact))
    context = {
        **card,
        "balance": balance,
        "form": form,
        "confirming": confirming,
        "after": balance.spendable - reward.cost,
    }
    return render(request, "rewards/hub_reward_detail.html", context, status=status)


@advocate_required
def hub_reward_detail(request, reward_id: int):
    reward = selectors.reward_catalogue(contact=request.contact).filter(pk=reward_id).first()
    if reward is None:
        raise Http404("reward not found")
    return _hub_detail(request, reward, RedeemForm(reward=reward))


@require_POST
@advocate_required
def hub_redeem(request, reward_id: int):
    contact = request.contact
    reward = selectors.reward_catalogue(contact=contact).filter(pk=reward_id).first()
    if reward is None:
        raise Http404("reward not found")
    form = RedeemForm(request.POST, reward=reward)
    if not form.is_valid():
        return _hub_detail(request, reward, form, status=422)
    refusal = policy_allows(contact=contact, reward=reward)
    if refusal:
        form.add_error(None, refusal)
        return _hub_detail(request, reward, form, status=422)
    if not form.cleaned_data.get("confirm"):
        # Step 1 passed: show what will happen and ask to confirm.
        form = RedeemForm(initial={**form.cleaned_data, "confirm": True}, reward=reward)
        return _hub_detail(request, reward, form, confirming=True)
    try:
        redemption, _ = redemption_create(
            reward=reward,
            contact=contact,
            actor=request.user,
            variant=form.cleaned_data.get("variant", ""),
            shipping_address=form.cleaned_data.get("shipping_address", ""),
            request_key=f"hub:{contact.pk}:{form.cleaned_data['request_key']}",
        )
    except ServiceError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _hub_detail(request, reward, form, status=exc.status)
    if redemption.status == Redemption.Status.REQUESTED:
        messages.success(request, f"You redeemed {reward.name}. We will confirm it shortly.")
    else:
        messages.success(request, f"You redeemed {reward.name}. It is on its way!")
    return redirect("rewards:hub-redemption", redemption_id=redemption.pk)


@advocate_required
def hub_my_redemptions(request):
    contact = request.contact
    context = {
        "balance": balance_get(contact=contact),
        **paginate(request, selectors.redemption_list_for_contact(contact=contact), per_page=20),
    }
    return render(request, "rewards/hub_redemption_list.html", context)


@advocate_required
def hub_redemption_detail(request, redemption_id: int):
    redemption = selectors.access_redemption(contact=request.contact, redemption_id=redemption_id)
    events = [e for e in redemption.events.all() if not e.is_internal]
    return render(
        request,
        "rewards/hub_redemption_detail.html",
        {"redemption": redemption, "events": events},
    )


@require_GET
def reward_image(request, reward_id: int):
    """A reward's uploaded image, for signed-in users. SVGs are served sandboxed."""
    if not request.user.is_authenticated:
        raise Http404("not found")
    row = (
        Reward.objects.filter(pk=reward_id)
        .exclude(image_type="")
        .values_list("image_data", "image_type", "updated_at")
        .first()
    )
    if row is None:
        raise Http404("no image")
    data, content_type, updated_at = row
    return image_response(
        request,
        data=data,
        content_type=content_type,
        etag=f"{reward_id}-{int(updated_at.timestamp())}",
    )


# --- Staff -------------------------------------------------------------------------------------


@permission_required("ovation.manage_programs")
def staff_list(request):
    search = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    state = request.GET.get("state", "")
    month_start = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    counts = selectors.redemption_counts()
    context = {
        "rewards": selectors.reward_list(search=search, kind=kind, state=state),
        "search": search,
        "kind": kind,
        "state": state,
        "kinds": Reward.Kind.choices,
        "counts": counts,
        "redeemed_this_month": selectors.points_redeemed_since(month_start),
        "policy_count": selectors.policy_list().count(),
        "now": timezone.now(),
    }
    return render_page(
        request, "rewards/staff_list.html", "rewards/partials/_reward_table.html", context
    )


def _save_reward(request, form, reward=None):
    image = None
    upload = form.cleaned_data.get("image")
    try:
        if upload:
            image = reward_image_clean(data=upload.read(), filename=upload.name)
        if reward is None:
            reward = reward_create(actor=request.user, image=image, **form.service_fields())
        else:
            reward = reward_update(
                reward=reward,
                actor=request.user,
                image=image,
                remove_image=form.cleaned_data.get("remove_image", False),
                **form.service_fields(),
            )
    except ServiceError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return None
    return reward


@permission_required("ovation.manage_programs")
def staff_create(request):
    form = RewardForm(request.POST or None, request.FILES or None, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        reward = _save_reward(request, form)
        if reward is not None:
            messages.success(request, f"Added {reward.name} to the catalogue.")
            return redirect("rewards:staff-list")
    status = 422 if request.method == "POST" else 200
    return render(request, "rewards/staff_form.html", {"form": form, "reward": None}, status=status)


@permission_required("ovation.manage_programs")
def staff_edit(request, reward_id: int):
    reward = get_object_or_404(Reward.objects.defer("image_data"), pk=reward_id)
    form = RewardForm(
        request.POST or None, request.FILES or None, initial=RewardForm.initial_for(reward)
    )
    if request.method == "POST" and form.is_valid():
        saved = _save_reward(request, form, reward)
        if saved is not None:
            messages.success(request, f"Saved {saved.name}.")
            return redirect("rewards:staff-list")
    status = 422 if request.method == "POST" else 200
    return render(
        request, "rewards/staff_form.html", {"form": form, "reward": reward}, status=status
    )


@permission_required("ovation.manage_programs")
def fulfilment_queue(request):
    status = request.GET.get("status", "open")
    if status not in {"open", "all", *Redemption.Status.values}:
        status = "open"
    kind = request.GET.get("kind", "")
    search = request.GET.get("q", "").strip()
    qs = selectors.redemption_list(
        status="" if status == "all" else status, kind=kind, search=search
    )
    context = {
        "status": status,
        "kind": kind,
        "search": search,
        "kinds": Reward.Kind.choices,
        "statuses": Redemption.Status.choices,
        "counts": selectors.redemption_counts(),
        **paginate(request, qs, per_page=25),
    }
    return render_page(
        request, "rewards/fulfilment_queue.html", "rewards/partials/_queue.html", context
    )


@permission_required("ovation.manage_programs")
def redemption_detail(request, redemption_id: int):
    redemption = selectors.redemption_get(redemption_id=redemption_id)
    form = TransitionForm(request.POST or None)
    status_code = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["status"]:
                    _, changed = redemption_transition(
                        redemption=redemption,
                        status=data["status"],
                        actor=request.user,
                        note=data["note"],
                        is_internal=data["is_internal"],
                    )
                    label = Redemption.Status(data["status"]).label.lower()
                    messages.success(
                        request,
                        f"Redemption #{redemption.pk} {label}."
                        if changed
                        else f"Redemption #{redemption.pk} was already {label}.",
                    )
                else:
                    redemption_note_add(
                        redemption=redemption,
                        note=data["note"],
                        actor=request.user,
                        is_internal=data["is_internal"],
                    )
                    messages.success(request, "Note added.")
            except ServiceError as exc:
                form.add_error(None, exc.message)
                status_code = exc.status
            else:
                target = request.POST.get("next") or reverse(
                    "rewards:redemption-detail", args=[redemption.pk]
                )
                if not target.startswith("/") or target.startswith("//"):
                    target = reverse("rewards:redemption-detail", args=[redemption.pk])
                return redirect(target)
        else:
            status_code = 422
    context = {
        "redemption": redemption,
        "form": form,
        "balance": balance_get(contact=redemption.contact),
        "next_statuses": _next_statuses(redemption),
    }
    return render(request, "rewards/redemption_detail.html", context, status=status_code)


def _next_statuses(redemption):
    from .services import _TRANSITIONS

    allowed = _TRANSITIONS.get(redemption.status, set())
    return [(value, label) for value, label in Redemption.Status.choices if value in allowed]


@permission_required("ovation.manage_programs")
def policies(request):
    search = request.GET.get("q", "").strip()
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid():
            account = get_object_or_404(Account, pk=form.cleaned_data["account_id"])
            policy_set(
                account=account,
                donations_only=form.cleaned_data["donations_only"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
            if form.cleaned_data["donations_only"]:
                messages.success(request, f"{account.name} is now donations only.")
            else:
                messages.success(request, f"{account.name} may redeem any reward again.")
            return redirect(
                f"{reverse('rewards:policies')}?{urlencode({'q': search})}"
                if search
                else "rewards:policies"
            )
        messages.error(request, "Choose an account.")
    context = {
        "policies": selectors.policy_list(),
        "search": search,
        "results": selectors.account_search(search=search),
    }
    return render(request, "rewards/policies.html", context)
