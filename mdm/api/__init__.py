"""REST: generic controllers mounted once per domain, plus the cross-domain endpoints."""
