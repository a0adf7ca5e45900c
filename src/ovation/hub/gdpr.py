"""The hub's part of a person's data export and erasure. Submissions stay (they back the points
and the engagement counts) without their proof; the profile and motivation answers go."""

from .selectors import hub_data_export


def export(contact) -> dict:
    data = hub_data_export(contact=contact)
    data.pop("exported_at", None)
    data.pop("contact", None)  # the directory's section has it
    sections = {}
    for key, value in data.items():
        if value is None:
            value = []
        elif isinstance(value, dict):
            if key == "motivations":
                value = [{"topic": k, "value": v} for k, v in value.items()]
            else:
                value = [value]
        elif not isinstance(value, list):
            value = [{"value": value}]
        sections[f"hub_{key}"] = value
    return sections


def erase(contact, actor) -> None:
    from .models import HubProfile, MotivationAnswer, Submission

    for submission in Submission.objects.filter(contact=contact).exclude(proof_file=""):
        submission.proof_file.delete(save=False)
    Submission.objects.filter(contact=contact).update(
        proof_url="", proof_text="", proof_file="", proof_file_name="", answers={}
    )
    MotivationAnswer.objects.filter(contact=contact).delete()
    HubProfile.objects.filter(contact=contact).delete()
