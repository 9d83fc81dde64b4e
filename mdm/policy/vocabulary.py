"""The words of a policy line (`p, SUBJECT, DOMAIN, FIELD, ACTION, EFFECT`), apart from any
domain, so the descriptor checks and the policy parser hold lines to the same rules."""

import re

ACTIONS = ("create", "write", "read", "merge", "fill")
RECORD_ACTIONS = frozenset({"create", "merge"})  # about whole records: their field is `*`
EFFECTS = ("allow", "deny")
ROLES = ("steward", "admin", "reader", "finance", "operator")  # operator: /metrics, nothing else
SUBJECT = re.compile(r"^((system|user):[a-z0-9][a-z0-9._-]{0,60}|role:(" + "|".join(ROLES) + "))$")


def word_problems(subject: str, field: str, action: str, effect: str) -> list[str]:
    """What is wrong with a line's subject, action and effect, whatever its domain."""
    problems = []
    if not SUBJECT.match(subject):
        problems.append(f"subject '{subject}' is not system:<code>, user:<name> or role:<{'|'.join(ROLES)}>")
    if action not in ACTIONS:
        problems.append(f"unknown action '{action}' (one of {', '.join(ACTIONS)})")
    elif action in RECORD_ACTIONS and field != "*":
        problems.append(f"{action} is about whole records; its field must be *")
    if effect not in EFFECTS:
        problems.append(f"unknown effect '{effect}' (allow or deny)")
    return problems
