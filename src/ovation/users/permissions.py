"""Who may do what: every role check in Ovation goes through these predicates and permissions.

Views use `PermissionRequiredMixin`/`user.has_perm("ovation.<perm>")`; the API uses the same
names, so the UI and the API cannot disagree."""

import rules

from .models import User


@rules.predicate
def is_admin(user):
    return bool(user and user.is_authenticated and user.is_active and user.role == User.Role.ADMIN)


def _role(*roles):
    @rules.predicate(name=f"has_role_{'_'.join(roles)}")
    def predicate(user):
        return bool(user and user.is_authenticated and user.is_active and user.role in roles)

    return predicate


is_manager = _role(User.Role.ADMIN, User.Role.MANAGER)
is_sales = _role(User.Role.SALES)
is_csm = _role(User.Role.CSM)
is_executive = _role(User.Role.EXECUTIVE)
is_advocate = _role(User.Role.ADVOCATE)
is_staff_member = _role(
    User.Role.ADMIN, User.Role.MANAGER, User.Role.SALES, User.Role.CSM, User.Role.EXECUTIVE
)

PERMISSIONS = {
    # Directory: every staff member reads it; editors change it.
    "ovation.view_directory": is_staff_member,
    "ovation.edit_directory": is_manager | is_csm,
    # A contact's email and phone: the people who look after customers. Sales read the directory
    # but reach advocates through the reference workflow, so that every ask is counted.
    "ovation.view_contact_details": is_manager | is_csm,
    "ovation.import_data": is_manager,
    "ovation.export_data": is_manager,
    "ovation.manage_taxonomies": is_manager,
    # Pulse and insights: read by all staff.
    "ovation.view_pulse": is_staff_member,
    "ovation.manage_pulse": is_manager,
    "ovation.view_insights": is_staff_member,
    # Programs, hub, rewards, referrals, automations: advocacy managers.
    "ovation.manage_programs": is_manager,
    "ovation.adjust_points": is_manager,
    # References and stories: sales ask, managers run the workflow.
    "ovation.use_references": is_manager | is_sales | is_csm,
    "ovation.manage_references": is_manager,
    # CSM follow-ups.
    "ovation.follow_up": is_manager | is_csm,
    # Administration.
    "ovation.manage_users": is_admin,
    "ovation.view_audit": is_admin,
    # Advocates use the hub.
    "ovation.use_hub": is_advocate,
}

for _name, _predicate in PERMISSIONS.items():
    if not rules.perm_exists(_name):
        rules.add_perm(_name, _predicate)
