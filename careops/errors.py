"""Errors that name what is wrong, for people to read (the CLI prints them without a traceback)."""


class CareopsError(Exception):
    """Base class: bad input or an impossible request, with a message a person can act on."""


class NotFound(CareopsError):
    """A referenced record (project, staff, callback, fault ...) does not exist."""


class InvalidTransition(CareopsError):
    """A state change the process does not allow (e.g. closing a closed fault)."""


class TemplateError(CareopsError):
    """A mail template is missing or needs a variable the caller did not provide."""


class DeliveryError(CareopsError):
    """The SMTP server could not be reached or refused the messages."""


class SmtpConfigError(CareopsError):
    """The SMTP settings cannot be used as they are (e.g. a password over plain TCP)."""


class SmtpUnreachable(DeliveryError):
    """The SMTP server could not be reached or refused the login; the mail waits."""


class MailGivenUp(DeliveryError):
    """Mail failed for good (after `smtp.max_attempts`, or with no usable recipient)."""


class StackError(CareopsError):
    """The embedded stack could not start or one of its processes failed."""
