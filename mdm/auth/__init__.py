"""Who calls: API keys bound to principals and roles, checked on every request."""
