"""The words of a policy line (`p, SUBJECT, DOMAIN, FIELD, ACTION, EFFECT`), apart from any
domain, so the descriptor checks and the policy parser hold lines to the same rules."""

import re

ACTIONS = ("create", "write", "read", "merge")
RECORD_ACTIONS = frozenset({"create", "merge"})  # about whole records: their field is `*`
EFFECTS = ("allow", "deny")
ROLES = ("steward", "admin", "reader", "finance")
SUBJECT = re.compile(r"^((system|user):[a-z0-9][a-z0-9._-]{0,60}|role:(" + "|".join(ROLES) + "))$")
