"""Routes of the privacy module: the audit log and data-subject requests under
`/api/privacy` (administrators), and the public privacy page `/p/{slug}/privacy`."""
