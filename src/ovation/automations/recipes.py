"""Built-in recipes: ready-made rules, created disabled (by a data migration and the demo),
that a manager reviews, dry-runs and enables. Pure data, so the migration can use it."""

RECIPES: list[dict] = [
    {
        "recipe_key": "reference-thank-you",
        "name": "Thank you after a reference call",
        "description": "When a reference is completed, thank the advocate by email and award "
        "150 points.",
        "trigger": "event",
        "event_type": "reference.completed",
        "actions": [
            {"type": "award_points", "points": 150, "reason": "Thank you for the reference"},
            {
                "type": "send_email",
                "to": "contact",
                "template": "rule_message",
                "subject": "Thank you, {{ contact.first_name|default:'friend' }}!",
                "body": "Hi {{ contact.first_name|default:'there' }},\n\nThank you for speaking "
                "with {{ event.prospect|default:'a prospect of ours' }}. Your time makes a real "
                "difference, and we have added 150 points to your balance.\n\nWith gratitude,\n"
                "{{ account.csm_name|default:'The customer team' }}",
            },
        ],
    },
    {
        "recipe_key": "customer-anniversary",
        "name": "Customer anniversary surprise",
        "description": "On each account's customer anniversary, award 250 points to its active "
        "contacts and ask the CSM to send a personal note.",
        "trigger": "date",
        "date_field": "customer_anniversary",
        "run_at": "09:00",
        "conditions": [{"field": "contact.stage", "op": "in", "value": ["advocate", "champion"]}],
        "actions": [
            {"type": "award_points", "points": 250, "reason": "Happy customer anniversary"},
            {
                "type": "create_task",
                "title": "Send {{ contact.name }} ({{ account.name }}) a personal anniversary note",
                "due_in_days": 2,
            },
        ],
    },
    {
        "recipe_key": "first-nps-10-hub-invite",
        "name": "First NPS 10 → invitation to the hub",
        "description": "The first time someone answers 10, invite them to the advocate hub "
        "(the hub sends its invitation email with a sign-in link).",
        "trigger": "event",
        "event_type": "nps.answered",
        "conditions": [{"field": "event.score", "op": "eq", "value": 10}],
        "rate_limit_count": 1,
        "rate_limit_days": 0,
        "actions": [
            {"type": "invite", "target": "hub", "name": ""},
        ],
    },
    {
        "recipe_key": "level-up-celebration",
        "name": "Level-up celebration",
        "description": "When an advocate reaches a new level, award a badge and congratulate them.",
        "trigger": "event",
        "event_type": "level.reached",
        "actions": [
            {"type": "award_badge", "badge": "Level up"},
            {
                "type": "send_email",
                "to": "contact",
                "template": "rule_message",
                "subject": "You reached {{ event.level|default:'a new level' }}!",
                "body": "Congratulations {{ contact.first_name|default:'' }}! You are now "
                "{{ event.level|default:'one level up' }} in our community. Thank you for all "
                "you do.",
            },
        ],
    },
    {
        "recipe_key": "referral-won-slack",
        "name": "Referral won → celebrate with the CSM in Slack",
        "description": "When a referral converts, post to the customer team's Slack channel "
        "so the referrer's CSM can say thank you. Paste your Slack incoming-webhook URL "
        "before enabling.",
        "trigger": "event",
        "event_type": "referral.converted",
        "actions": [
            {
                "type": "post_slack",
                "url": "",
                "text": ":tada: {{ contact.name }} ({{ account.name }}) referred a customer who "
                "just signed! {% if account.csm_name %}{{ account.csm_name }}, time for a thank "
                "you.{% endif %}",
            }
        ],
    },
    {
        "recipe_key": "idea-shipped",
        "name": "Idea shipped → “you said, we did”",
        "description": "When an idea ships, tell the person who suggested it.",
        "trigger": "event",
        "event_type": "idea.shipped",
        "actions": [{"type": "send_email", "to": "contact", "template": "you_said_we_did"}],
    },
]


def recipes_install(rule_model) -> int:
    """Create missing recipes (disabled); never touches a recipe a manager already changed."""
    import datetime

    created = 0
    for recipe in RECIPES:
        fields = dict(recipe)
        key = fields.pop("recipe_key")
        if "run_at" in fields:
            fields["run_at"] = datetime.time.fromisoformat(fields["run_at"])
        _, was_created = rule_model.objects.get_or_create(
            recipe_key=key, defaults={**fields, "is_enabled": False}
        )
        created += was_created
    return created
