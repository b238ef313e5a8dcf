"""Account mail: render a queued message (templates), deliver it over SMTP (smtp) or keep it
in the local inbox (inbox), and record the outcome (send, the mail.send task's work)."""
