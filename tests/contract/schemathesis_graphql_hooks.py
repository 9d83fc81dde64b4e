"""The check schemathesis runs on /graphql in place of its `not_a_server_error`, which counts
every error on a field path as a server failure. Here a field's error is the hub's answer
when it is a refusal: a status below 500 in `extensions` (not found, moved, not readable, a
filter refused, a page too large). A server error is a 5xx answer, an error that is masked
(`internal error`: a bug, logged on the server), or one on a field that says nothing of why."""

import json

import schemathesis


@schemathesis.check
def graphql_refusals_are_typed(ctx, response, case) -> None:
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.content[:300]!r}")
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"not JSON: {response.content[:300]!r}") from None
    for error in body.get("errors") or ():
        if "path" not in error:
            continue  # a query the schema refuses (validation), not a field that failed
        status = (error.get("extensions") or {}).get("status")
        if not isinstance(status, int) or status >= 500:
            raise AssertionError("a field failed without a typed refusal: " + json.dumps(error)[:500])
