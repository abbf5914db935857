"""Settings come from PARCOURSPRO_* variables, with safe defaults and refusals in production."""

from __future__ import annotations

from pathlib import Path

import pytest

from parcourspro_gql.config import ConfigError, load_settings


def test_defaults_in_development_generate_a_persistent_secret(tmp_path: Path):
    first = load_settings({"PARCOURSPRO_VAR_DIR": str(tmp_path)})
    assert first.env == "development"
    assert first.database_url == "sqlite+aiosqlite:///var/parcourspro.db"
    assert first.mail_url == "file://var/mail"
    assert len(first.secret_key) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert load_settings({"PARCOURSPRO_VAR_DIR": str(tmp_path)}).secret_key == first.secret_key
    assert (first.annual_quota, first.formation_quota, first.structure_cap) == (5, 3, 2)
    assert (
        first.login_max_failures_per_account_address,
        first.login_max_failures_per_account,
        first.login_window_minutes,
    ) == (5, 20, 15)


def test_business_settings_are_read(tmp_path: Path):
    settings = load_settings(
        {
            "PARCOURSPRO_VAR_DIR": str(tmp_path),
            "PARCOURSPRO_ANNUAL_QUOTA": "7",
            "PARCOURSPRO_STAGGERED_OPENING": "yes",
            "PARCOURSPRO_REVIEW_DEADLINE_HOURS": "24",
        }
    )
    assert (settings.annual_quota, settings.staggered_opening, settings.review_deadline_hours) == (
        7,
        True,
        24,
    )


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"PARCOURSPRO_ENV": "production"}, "PARCOURSPRO_SECRET_KEY is required"),
        ({"PARCOURSPRO_ENV": "production", "PARCOURSPRO_SECRET_KEY": "short"}, "at least 32"),
        ({"PARCOURSPRO_ENV": "staging"}, "PARCOURSPRO_ENV"),
        ({"PARCOURSPRO_ANNUAL_QUOTA": "five"}, "PARCOURSPRO_ANNUAL_QUOTA must be an integer"),
        ({"PARCOURSPRO_STAGGERED_OPENING": "maybe"}, "not a boolean"),
        (
            {
                "PARCOURSPRO_ENV": "production",
                "PARCOURSPRO_SECRET_KEY": "k" * 40,
                "PARCOURSPRO_PASSWORD_HASH_PROFILE": "test",
            },
            "refused in production",
        ),
    ],
)
def test_bad_settings_are_refused(tmp_path: Path, environ: dict[str, str], message: str):
    with pytest.raises(ConfigError, match=message):
        load_settings({"PARCOURSPRO_VAR_DIR": str(tmp_path), **environ})


def test_seat_offer_hours_take_decimals_and_refuse_nonsense(tmp_path: Path):
    base = {"PARCOURSPRO_VAR_DIR": str(tmp_path)}
    assert load_settings(base | {"PARCOURSPRO_SEAT_OFFER_HOURS": "0.01"}).seat_offer_hours == 0.01
    assert load_settings(base).seat_offer_hours == 48
    for wrong in ("abc", "0", "-1", "inf", "nan"):
        with pytest.raises(ConfigError):
            load_settings(base | {"PARCOURSPRO_SEAT_OFFER_HOURS": wrong})
