"""Demo staff: one user per role, with a shared demo password printed by `ovation demo`."""

from .models import User

DEMO_PASSWORD = "ovation-demo"  # noqa: S105 - printed for the demo on purpose
STAFF = [
    ("admin@acme.test", "Alex Admin", User.Role.ADMIN),
    ("manager@acme.test", "Morgan Manager", User.Role.MANAGER),
    ("sales@acme.test", "Sam Sales", User.Role.SALES),
    ("csm@acme.test", "Casey Success", User.Role.CSM),
    ("csm2@acme.test", "Jordan Care", User.Role.CSM),
    ("csm3@acme.test", "Riley Partner", User.Role.CSM),
    ("exec@acme.test", "Erin Executive", User.Role.EXECUTIVE),
]


def already_loaded(ctx) -> bool:
    return User.objects.filter(email="admin@acme.test").exists()


def load(ctx) -> None:
    for email, name, role in STAFF:
        user, created = User.objects.get_or_create(
            email=email,
            defaults={
                "full_name": name,
                "role": role,
                "is_staff": role == User.Role.ADMIN,
                "is_superuser": role == User.Role.ADMIN,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
    ctx.logins.extend(logins(ctx))


def logins(ctx) -> list[str]:
    lines = [
        "",
        "Demo logins (staff app at http://127.0.0.1:8000/, password for all: "
        + DEMO_PASSWORD
        + "):",
    ]
    lines += [f"  {role.label:<26} {email}" for email, _, role in STAFF]
    return lines


def reset(ctx) -> None:
    User.objects.filter(email__endswith="@acme.test").delete()
