"""Rastro's own e-mails — member invitations and password resets — sent through the same
senders as campaigns (`email.senders`).

The modules that need these mails sit below `email` in the layers (auth), so they only ask
for one (`core.mail_requests.request_mail`, a job naming the kind and an id); the handlers
here (`handlers`) are registered for those kinds when the e-mail module loads. A handler
asks the owning module's service to mint the one-time token, renders the mail in the
recipient's language (`templates`) and sends it with the instance's sender
(`transport`, configured by `MAIL_SENDER`). Log lines carry the kind, the ids and the
outcome: never an address or a token.
"""

from rastro.email.system import handlers  # noqa: F401  (registers the mail handlers)
