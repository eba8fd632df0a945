"""Privacy: the access audit log, data-subject requests (export and erasure across both
databases, forwarded to the platforms that take deletions), the public privacy page, and
(in `retention/`) retention and consent."""
