"""Hub API for staff and integrations: challenges and the submission review queue.
Every endpoint needs ovation.manage_programs; writes need a write-scoped token."""

from datetime import datetime

from django.http import Http404
from ninja import Field, Router, Schema

from ovation.core.api import ApiError, paginate_cursor, require_perm

from . import selectors, services
from .models import Challenge, Motivator, Submission

router = Router(tags=["hub"])
PERM = "ovation.manage_programs"


class QuestionIn(Schema):
    prompt: str
    options: list[str] = []
    correct_option: int | None = None
    answer_text: str = ""
    explanation: str = ""


class ChallengeIn(Schema):
    title: str = Field(..., min_length=1, max_length=160)
    kind: Challenge.Kind = Challenge.Kind.CUSTOM
    status: Challenge.Status = Challenge.Status.DRAFT
    summary: str = Field("", max_length=240)
    body: str = ""
    points: int = Field(50, ge=0, le=1_000_000)
    effort_minutes: int = Field(5, ge=1)
    motivators: list[Motivator] = []
    is_featured: bool = False
    action_url: str = ""
    action_label: str = ""
    share_text: str = ""
    disclosure_text: str = ""
    audience_stages: list[str] = []
    audience_employee_bands: list[str] = []
    audience_program_ids: list[int] = []
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    per_person_limit: int = Field(1, ge=1)
    total_limit: int | None = Field(None, ge=1)
    approval_mode: Challenge.Approval = Challenge.Approval.AUTO
    proof_kind: Challenge.Proof = Challenge.Proof.NONE
    proof_instructions: str = ""
    pass_mark_percent: int = Field(100, ge=1, le=100)
    questions: list[QuestionIn] = []


class ChallengeOut(Schema):
    id: int
    title: str
    kind: str
    status: str
    summary: str
    body: str
    points: int
    effort_minutes: int
    motivators: list[str]
    is_featured: bool
    action_url: str
    share_text: str
    disclosure_text: str
    audience_stages: list[str]
    audience_employee_bands: list[str]
    audience_program_ids: list[int]
    starts_at: datetime | None
    ends_at: datetime | None
    per_person_limit: int
    total_limit: int | None
    completions_count: int
    approval_mode: str
    proof_kind: str
    pass_mark_percent: int
    created_at: datetime


class ChallengePage(Schema):
    items: list[ChallengeOut]
    next: str | None


class SubmissionOut(Schema):
    id: int
    challenge_id: int
    challenge_title: str = Field(..., alias="challenge.title")
    challenge_kind: str = Field(..., alias="challenge.kind")
    contact_id: int
    contact_email: str = Field(..., alias="contact.email")
    status: str
    proof_url: str
    proof_text: str
    has_proof_file: bool
    score: int | None
    score_total: int | None
    points_awarded: int
    reject_reason: str
    created_at: datetime
    reviewed_at: datetime | None
    reviewed_by_id: int | None

    @staticmethod
    def resolve_has_proof_file(obj) -> bool:
        return bool(obj.proof_file)


class SubmissionPage(Schema):
    items: list[SubmissionOut]
    next: str | None


class RejectIn(Schema):
    reason: str = Field(..., min_length=3, max_length=500)


class ApproveOut(Schema):
    submission: SubmissionOut
    approved_now: bool


@router.get("/challenges", response=ChallengePage, summary="List challenges")
def challenge_list(
    request,
    status: Challenge.Status | None = None,
    kind: Challenge.Kind | None = None,
    cursor: str | None = None,
    limit: int = 50,
):
    require_perm(request, PERM)
    qs = Challenge.objects.all()
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return paginate_cursor(request, qs, cursor=cursor, limit=limit)


@router.post("/challenges", response={201: ChallengeOut}, summary="Create a challenge")
def challenge_create(request, payload: ChallengeIn):
    require_perm(request, PERM, write=True)
    data = payload.dict()
    questions = data.pop("questions")
    challenge = Challenge(**data)
    challenge.motivators = [str(m) for m in payload.motivators]
    if challenge.action_url and not challenge.action_url.startswith(("http://", "https://")):
        raise ApiError(422, "action_url must start with http:// or https://", field="action_url")
    challenge = services.challenge_save(
        challenge=challenge,
        actor=request.user,
        questions=questions if challenge.has_questions else [],
    )
    return 201, challenge


@router.get("/challenges/{challenge_id}", response=ChallengeOut, summary="One challenge")
def challenge_get(request, challenge_id: int):
    require_perm(request, PERM)
    challenge = Challenge.objects.filter(pk=challenge_id).first()
    if challenge is None:
        raise Http404
    return challenge


@router.get("/submissions", response=SubmissionPage, summary="List submissions (review queue)")
def submission_list(
    request,
    status: Submission.Status | None = None,
    challenge_id: int | None = None,
    contact_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
):
    require_perm(request, PERM)
    qs = selectors.review_queue(status=status, challenge_id=challenge_id)
    if contact_id:
        qs = qs.filter(contact_id=contact_id)
    return paginate_cursor(request, qs, cursor=cursor, limit=limit)


def _submission(request, submission_id: int) -> Submission:
    # Same 404 for missing and forbidden (the permission check above already ran).
    return selectors.access_submission(user=request.user, submission_id=submission_id)


@router.post(
    "/submissions/{submission_id}/approve",
    response=ApproveOut,
    summary="Approve a submission (credits its points once)",
)
def submission_approve(request, submission_id: int):
    require_perm(request, PERM, write=True)
    submission, changed = services.submission_approve(
        submission=_submission(request, submission_id), actor=request.user
    )
    return {"submission": submission, "approved_now": changed}


@router.post(
    "/submissions/{submission_id}/reject",
    response=SubmissionOut,
    summary="Reject a submission with a reason the advocate sees",
)
def submission_reject(request, submission_id: int, payload: RejectIn):
    require_perm(request, PERM, write=True)
    return services.submission_reject(
        submission=_submission(request, submission_id), actor=request.user, reason=payload.reason
    )
