"""Privacy (issue 22): the access audit log, data-subject requests (export and erasure
across both databases, forwarded to the platforms that take deletions), the public privacy
page, and (in `retention/`) retention, anonymisation and consent. It sits on top of the
other modules and reaches their tables only through their `service` functions."""
