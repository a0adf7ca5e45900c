# Loaded by rules' autodiscovery: registers the permission predicates.
from . import permissions  # noqa: F401
