from flask import Flask

from tests.conftest import count_rows, login


def test_users_create_makes_a_user_who_can_log_in_and_is_idempotent(app: Flask, database_url: str) -> None:
    runner = app.test_cli_runner()
    args = ["users", "create", "ops@example.com", "--password", "long enough", "--role", "admin"]
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    assert "created admin ops@example.com" in first.output
    again = runner.invoke(args=args)
    assert again.exit_code == 0
    assert "already exists" in again.output
    assert count_rows(database_url, "users") == 1
    headers = login(app.test_client(), "ops@example.com", "long enough")
    assert app.test_client().get("/v1/auth/me", headers=headers).json["role"] == "admin"


def test_users_create_refuses_a_short_password(app: Flask, database_url: str) -> None:
    result = app.test_cli_runner().invoke(args=["users", "create", "ops@example.com", "--password", "short"])
    assert result.exit_code != 0
    assert "password" in result.output
    assert count_rows(database_url, "users") == 0


def test_ensure_admin_prints_a_generated_password_once(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["users", "ensure-admin"])
    assert first.exit_code == 0
    password = first.output.strip().rsplit(" ", 1)[-1]
    login(app.test_client(), "admin@example.com", password)
    second = runner.invoke(args=["users", "ensure-admin"])
    assert "already exists" in second.output
    assert password not in second.output
