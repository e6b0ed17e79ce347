"""The frontline at a moment of truth: the customer card, playbooks, the four steps for
unwelcome news and closed-loop cases."""
