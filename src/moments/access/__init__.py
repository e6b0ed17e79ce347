"""Who may do what on a shared server: users and roles, passwords, sessions, API tokens, the
scope each role sees, and rate limits. Enforced in the library (a Workspace opened for a
principal reads through a scoped store), so the CLI, the API and the pages agree."""

from moments.access.roles import LOCAL, PERMISSIONS, ROLES, Principal, require

__all__ = ["LOCAL", "PERMISSIONS", "ROLES", "Principal", "require"]
