"""The privacy module (issue 22): retention and anonymisation, consent, audit, data-subject
requests. It sits on top of the other modules and reaches their tables only through their
`service` functions."""
