"""Operations and helpers of the account tests: sign up, verify, log in, as a client does."""

from __future__ import annotations

from typing import Any

SIGN_UP = """
mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) {
    account { id email firstName lastName emailVerified affiliationStatus roles structure { id } }
    errors { code message field }
  }
}
"""
VERIFY = """
mutation Verify($token: String!) {
  verifyEmail(input: {token: $token}) { account { id emailVerified } errors { code message field } }
}
"""
LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) {
    accessToken refreshToken expiresIn account { id email } errors { code message field }
  }
}
"""
REFRESH = """
mutation Refresh($token: String!) {
  refreshToken(input: {refreshToken: $token}) {
    accessToken refreshToken expiresIn account { id } errors { code message field }
  }
}
"""
LOGOUT = "mutation Logout($token: String!) { logout(input: {refreshToken: $token}) { ok errors { code } } }"
ME = "{ me { id email firstName emailVerified roles affiliationStatus } }"
PASSWORD = "une phrase de passe solide"


class People:
    def __init__(self, gql: Any, outbox: Any, token_from: Any) -> None:
        self.gql, self.outbox, self.token_from = gql, outbox, token_from

    async def sign_up(self, email: str = "camille@example.org", password: str = PASSWORD) -> dict[str, Any]:
        body = await self.gql(
            SIGN_UP,
            {"input": {"email": email, "password": password, "firstName": "Camille", "lastName": "Dupont"}},
        )
        return body["data"]["signUp"]

    async def verified(self, email: str = "camille@example.org", password: str = PASSWORD) -> dict[str, Any]:
        account = (await self.sign_up(email, password))["account"]
        [message] = [m for m in await self.outbox.deliver() if m["To"] == email]
        verified = await self.gql(VERIFY, {"token": self.token_from(message, "/verify-email")})
        assert verified["data"]["verifyEmail"]["errors"] == []
        return account

    async def verify_pending(self, email: str = "camille@example.org") -> None:
        """Follows the verification link that was sent to `email`."""
        [message] = [m for m in await self.outbox.deliver() if m["To"] == email]
        verified = await self.gql(VERIFY, {"token": self.token_from(message, "/verify-email")})
        assert verified["data"]["verifyEmail"]["errors"] == []

    async def login(self, email: str = "camille@example.org", password: str = PASSWORD) -> dict[str, Any]:
        return (await self.gql(LOGIN, {"email": email, "password": password}))["data"]["login"]
