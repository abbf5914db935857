"""GraphQL documents of the registration tests, and a helper that reads a payload's outcome."""

from __future__ import annotations

REQUEST = """
mutation($session: ID!, $motivation: String!) {
  registrationRequest(input: {sessionId: $session, motivation: $motivation}) {
    registration { id status category overStructureCap employerDecision { comment by { email } } }
    errors { code message field }
  }
}
"""
MOTIVATION = "Je veux mieux accueillir les jeunes de notre mission locale."


def decision(name: str) -> str:
    return f"""
mutation($id: ID!, $reason: String) {{
  {name}(input: {{registrationId: $id, reason: $reason}}) {{
    registration {{ status category employerDecision {{ comment }} providerDecision {{ comment }}
                    cancellation {{ comment }} session {{ seatsLeft }} }}
    errors {{ code message field }}
  }}
}}
"""


VALIDATE, REFUSE = decision("registrationValidate"), decision("registrationRefuse")
SELECT, WAITLIST, REJECT = (
    decision("registrationSelect"),
    decision("registrationWaitlist"),
    decision("registrationReject"),
)
CANCEL = decision("registrationCancel")


def payload(body: dict) -> dict:
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


def code(body: dict) -> str:
    if body.get("errors"):
        return body["errors"][0]["extensions"]["code"]
    value = payload(body)
    errors = value.get("errors") if isinstance(value, dict) else None
    return errors[0]["code"] if errors else "ok"
