"""Errors raised by services. Entry points turn them into messages (UI), problem JSON (API)
or `row N: field: message` lines (imports)."""


class ServiceError(Exception):
    """A business rule refused the action. `field` names the input at fault, when there is one."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    """The request conflicts with the current state (e.g. a balance too low to redeem)."""

    status = 409


class IdempotencyMismatch(ServiceError):
    """An idempotency key was reused with a different request body."""

    status = 422
