"""CSV stage changes through the shared import engine."""

from ovation.directory.imports.base import load_importer, run_import, write_export
from ovation.ledger.services import balance_get
from ovation.referrals.models import Referral

from .test_fraud import submit


def test_csv_moves_referrals_and_names_bad_rows(link, referrer):
    a = submit(link, email="a@firm-a.test")
    b = submit(link, email="b@firm-b.test")
    Referral.objects.filter(pk=b.pk).update(crm_id="OPP-2")
    csv = (
        "referral_id,crm_id,status,amount\n"
        f"{a.pk},,won,12000\n"
        ",OPP-2,qualified,\n"
        "999999,,won,\n"
        f"{a.pk},,won,\n"
        ",,lost,\n"
        ",OPP-2,flying,\n"
    ).encode()
    importer = load_importer("referrals")
    result = run_import(importer, csv)

    assert (result.rows, result.updated, result.unchanged) == (6, 2, 0)
    assert [str(e) for e in result.errors] == [
        "row 4: referral_id: no referral with referral_id 999999",
        "row 5: referral_id: this referral appears twice in the file",
        "row 6: referral_id: give the referral id or the CRM id",
        "row 7: status: 'flying' is not one of: lead, qualified, opportunity, won, lost, disqualified",
    ]
    assert Referral.objects.get(pk=a.pk).status == "won"
    assert Referral.objects.get(pk=b.pk).status == "qualified"
    assert balance_get(contact=referrer).spendable == 2500 + 500

    again = run_import(importer, f"referral_id,status,amount\n{a.pk},won,12000\n".encode())
    assert (again.updated, again.unchanged) == (0, 1)
    assert balance_get(contact=referrer).spendable == 3000


def test_csv_dry_run_changes_nothing(link, referrer):
    a = submit(link, email="a@firm-a.test")
    result = run_import(
        load_importer("referrals"), f"referral_id,status\n{a.pk},won\n".encode(), dry_run=True
    )
    assert result.updated == 1 and result.written is False
    assert Referral.objects.get(pk=a.pk).status == "lead"
    assert balance_get(contact=referrer).spendable == 0


def test_refused_move_is_a_row_error(link):
    from ovation.referrals.services import referral_transition

    a = submit(link, email="a@firm-a.test")
    referral_transition(referral_id=a.pk, to_status="won")
    result = run_import(load_importer("referrals"), f"referral_id,status\n{a.pk},lead\n".encode())
    assert result.updated == 0
    assert [str(e) for e in result.errors] == [
        "row 2: status: a referral cannot move from won to lead"
    ]
    assert Referral.objects.get(pk=a.pk).status == "won"


def test_export(link):
    import io

    submit(link, email="a@firm-a.test")
    out = io.StringIO()
    write_export(load_importer("referrals"), out)
    lines = out.getvalue().splitlines()
    assert lines[0].split(",")[:3] == ["referral_id", "crm_id", "status"]
    assert "a@firm-a.test" in lines[1]
