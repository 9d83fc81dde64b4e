"""Who calls: API keys bound to principals and roles (keys), and the Actor a write runs as.

The HTTP side of authentication (reading the Authorization header) is mdm.api.auth."""
