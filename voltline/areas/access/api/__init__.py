"""The access area's API routers: sessions, MFA, users, API keys."""
