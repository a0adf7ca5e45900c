from .models import LedgerEntry


def export(contact) -> dict:
    return {
        "points": list(
            LedgerEntry.objects.filter(contact=contact).values(
                "created_at",
                "amount",
                "lifetime_delta",
                "kind",
                "reason",
                "source_type",
                "source_id",
            )
        )
    }


def erase(contact, actor) -> None:
    """Entries stay (balances and report totals must not change); free-text reasons go."""
    LedgerEntry.objects.filter(contact=contact).exclude(reason="").update(reason="(erased)")
