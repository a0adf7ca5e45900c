"""The level ladder and badges a fresh install starts with (editable in Hub admin)."""

LEVELS = [
    ("Newcomer", 0, "Welcome aboard!"),
    ("Insider", 250, "You know your way around. Thank you for jumping in."),
    ("Advocate", 750, "Your voice is making a difference for peers."),
    ("Champion", 2000, "One of the people the community looks up to."),
    ("Legend", 5000, "The very top. Nothing we do would be the same without you."),
]

# slug, name, description, artwork, rule, threshold
BADGES = [
    (
        "first-steps",
        "First steps",
        "Completed your first challenge",
        "first-steps",
        "first_challenge",
        1,
    ),
    ("go-getter", "Go-getter", "Completed 10 challenges", "rocket", "first_challenge", 10),
    ("connector", "Connector", "Made your first referral", "handshake", "first_referral", 1),
    ("trusted-voice", "Trusted voice", "Gave 5 reference calls", "megaphone", "references", 5),
    (
        "insider-council",
        "Advisory board",
        "Joined the customer advisory board",
        "crown",
        "cab_member",
        1,
    ),
    (
        "quiz-master",
        "Quiz master",
        "Aced 3 quizzes with a perfect score",
        "brain",
        "quiz_master",
        3,
    ),
    ("reviewer", "Reviewer", "Wrote a public review", "star", "reviewer", 1),
    ("on-stage", "On stage", "Spoke at a webinar, panel or event", "lightbulb", "speaker", 1),
    (
        "thousand-club",
        "1,000 club",
        "Earned 1,000 lifetime points",
        "trophy",
        "lifetime_points",
        1000,
    ),
    (
        "community-hero",
        "Community hero",
        "Awarded by the team for going above and beyond",
        "heart",
        "manual",
        1,
    ),
]
