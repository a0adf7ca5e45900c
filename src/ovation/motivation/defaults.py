"""The default ask taxonomy: every kind of ask Ovation can make, the motivators it appeals to
(seed 003) and what it is worth to the company. Pure data (no database): the app seeds its
editable `AskType` rows from it and the simulation (`bench/motivation_sim.py`) uses it as is.

Keys are "<family>.<kind>": `challenge.*` are the hub's challenge kinds, `reference.*` the
reference activities, `event.*` program events, `program.*` program memberships, and
`speaking.slot` a speaking slot offered outside the hub (e.g. at the user conference).

Motivator keys are the hub's (`ovation.hub.models.Motivator`): purpose, say, spotlight, peers,
problem_solving, mastery, recognition, reward.
"""

# key: (label, budget activity type, company value 1-10, fatigue cost 0-1, points, minutes,
#       uses the shared ask budget, {motivator: weight})
ASK_TYPES: dict[str, tuple] = {
    # Hub challenges. Small self-serve asks do not draw on the shared budget: the advocate
    # picks them in the hub; the budget guards the asks we push.
    "challenge.review": ("Write a review", "review", 5, 0.3, 150, 15, True,
                         {"purpose": 0.4, "recognition": 0.2, "reward": 0.4}),
    "challenge.social_share": ("Social share", "challenge", 1, 0.05, 20, 2, False,
                               {"spotlight": 0.3, "recognition": 0.3, "reward": 0.4}),
    "challenge.referral": ("Refer a peer", "challenge", 6, 0.2, 200, 5, False,
                           {"purpose": 0.3, "peers": 0.3, "reward": 0.4}),
    "challenge.reference_call": ("Reference call (challenge)", "call", 8, 0.6, 250, 30, True,
                                 {"purpose": 0.4, "peers": 0.3, "recognition": 0.3}),
    "challenge.case_study": ("Case study", "case_study", 8, 0.8, 400, 240, True,
                             {"spotlight": 0.5, "recognition": 0.3, "purpose": 0.2}),
    "challenge.webinar": ("Webinar", "speaking", 6, 0.6, 250, 60, True,
                          {"spotlight": 0.6, "mastery": 0.2, "recognition": 0.2}),
    "challenge.speaking": ("Speaking slot (challenge)", "speaking", 7, 0.8, 300, 240, True,
                           {"spotlight": 0.7, "recognition": 0.3}),
    "challenge.panel": ("Panel", "speaking", 6, 0.6, 250, 60, True,
                        {"spotlight": 0.5, "peers": 0.3, "recognition": 0.2}),
    "challenge.media_interview": ("Media interview", "press", 7, 0.7, 300, 60, True,
                                  {"spotlight": 0.7, "purpose": 0.3}),
    "challenge.event": ("Event attendance", "program", 3, 0.3, 100, 240, True,
                        {"peers": 0.8, "mastery": 0.2}),
    "challenge.cab": ("Advisory board / user group", "program", 5, 0.4, 200, 60, True,
                      {"say": 0.6, "peers": 0.3, "purpose": 0.1}),
    "challenge.beta": ("Beta program", "program", 5, 0.3, 150, 60, True,
                       {"say": 0.5, "problem_solving": 0.3, "mastery": 0.2}),
    "challenge.feedback": ("Product feedback / survey", "challenge", 3, 0.1, 50, 15, False,
                           {"say": 0.8, "problem_solving": 0.2}),
    "challenge.learning": ("Learning module", "challenge", 2, 0.05, 50, 15, False,
                           {"mastery": 0.8, "problem_solving": 0.2}),
    "challenge.quiz": ("Quiz / puzzle", "challenge", 1, 0.05, 30, 5, False,
                       {"problem_solving": 0.6, "mastery": 0.2, "reward": 0.2}),
    "challenge.custom": ("Custom challenge", "challenge", 2, 0.1, 50, 15, False,
                         {"purpose": 0.2, "say": 0.1, "spotlight": 0.1, "peers": 0.1,
                          "problem_solving": 0.1, "mastery": 0.1, "recognition": 0.1,
                          "reward": 0.2}),
    # Reference activities for sales (an open opportunity is at stake: worth the most).
    "reference.call": ("Reference call", "call", 10, 0.6, 250, 30, True,
                       {"purpose": 0.4, "peers": 0.4, "recognition": 0.2}),
    "reference.site_visit": ("Site visit", "site_visit", 10, 0.9, 400, 240, True,
                             {"spotlight": 0.4, "peers": 0.4, "recognition": 0.2}),
    "reference.email": ("Reference by email", "email", 7, 0.3, 100, 15, True,
                        {"purpose": 0.5, "peers": 0.3, "recognition": 0.2}),
    "reference.rfp": ("RFP / written reference", "rfp", 7, 0.5, 150, 60, True,
                      {"purpose": 0.5, "problem_solving": 0.3, "recognition": 0.2}),
    "reference.case_study": ("Case study use", "case_study", 8, 0.6, 300, 60, True,
                             {"spotlight": 0.5, "recognition": 0.3, "purpose": 0.2}),
    "reference.video": ("Recorded video", "video", 8, 0.8, 400, 120, True,
                        {"spotlight": 0.7, "recognition": 0.3}),
    "reference.press": ("Press / analyst", "press", 9, 0.8, 400, 60, True,
                        {"spotlight": 0.6, "purpose": 0.2, "recognition": 0.2}),
    # Program events.
    "event.cab_session": ("CAB session", "program", 6, 0.4, 100, 120, True,
                          {"say": 0.6, "peers": 0.3, "purpose": 0.1}),
    "event.meeting": ("Program meeting", "program", 3, 0.3, 50, 60, True,
                      {"peers": 0.5, "say": 0.3, "mastery": 0.2}),
    "event.webinar": ("Webinar (attend)", "program", 2, 0.2, 50, 60, True,
                      {"mastery": 0.7, "peers": 0.3}),
    "event.conference": ("Conference", "program", 5, 0.5, 150, 480, True,
                         {"peers": 0.5, "mastery": 0.3, "spotlight": 0.2}),
    "event.dinner": ("Customer dinner", "program", 4, 0.3, 100, 180, True,
                     {"peers": 0.7, "recognition": 0.3}),
    "event.meetup": ("Meetup", "program", 3, 0.3, 50, 120, True,
                     {"peers": 0.6, "mastery": 0.2, "problem_solving": 0.2}),
    # Program memberships.
    "program.cab": ("Join the advisory board", "program", 7, 0.5, 200, 120, True,
                    {"say": 0.6, "peers": 0.2, "purpose": 0.2}),
    "program.user_group": ("Join a user group", "program", 4, 0.3, 100, 60, True,
                           {"peers": 0.6, "mastery": 0.3, "say": 0.1}),
    "program.council": ("Join a council", "program", 6, 0.5, 200, 120, True,
                        {"purpose": 0.5, "mastery": 0.3, "peers": 0.2}),
    "program.beta": ("Join the beta program", "program", 5, 0.3, 150, 60, True,
                     {"say": 0.5, "problem_solving": 0.3, "mastery": 0.2}),
    "program.champions": ("Join the champions club", "program", 5, 0.3, 150, 30, True,
                          {"recognition": 0.5, "peers": 0.3, "reward": 0.2}),
    "program.custom": ("Join a program", "program", 3, 0.3, 100, 60, True,
                       {"peers": 0.4, "say": 0.3, "purpose": 0.3}),
    # A speaking slot offered directly (user conference, analyst day).
    "speaking.slot": ("Speaking slot", "speaking", 9, 0.8, 300, 240, True,
                      {"spotlight": 0.7, "recognition": 0.2, "purpose": 0.1}),
}  # fmt: skip

FAMILY_LABELS = {
    "challenge": "Hub challenge",
    "reference": "Reference for sales",
    "event": "Program event",
    "program": "Program membership",
    "speaking": "Speaking",
}


def family_of(key: str) -> str:
    return key.split(".", 1)[0]
