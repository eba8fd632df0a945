"""How mail leaves: one class per way of sending, behind `base.MailSender`."""
