import pytest

from customer_api.config import ConfigurationError, Settings


def test_nothing_configured_means_sqlite_under_var_and_a_random_secret() -> None:
    settings = Settings.from_env({})
    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith("var/customer_api.db")
    assert len(settings.jwt_secret_key) >= 32
    assert Settings.from_env({}).jwt_secret_key != settings.jwt_secret_key


def test_the_seed_db_variables_describe_a_mysql_server_with_credentials_escaped() -> None:
    settings = Settings.from_env(
        {"DB_HOST": "db", "DB_PORT": "3307", "DB_USER": "app", "DB_PASSWORD": "p@ss/word", "DB_NAME": "crm"}
    )
    assert settings.database_url == "mysql+pymysql://app:p%40ss%2Fword@db:3307/crm?charset=utf8mb4"


def test_database_url_wins_over_the_db_variables() -> None:
    settings = Settings.from_env({"DATABASE_URL": "sqlite:///x.db", "DB_HOST": "db"})
    assert settings.database_url == "sqlite:///x.db"


def test_production_refuses_to_start_without_a_long_secret() -> None:
    with pytest.raises(ConfigurationError):
        Settings.from_env({"APP_ENV": "production"})
    with pytest.raises(ConfigurationError):
        Settings.from_env({"APP_ENV": "production", "JWT_SECRET_KEY": "short"})
    settings = Settings.from_env({"APP_ENV": "production", "JWT_SECRET_KEY": "k" * 32})
    assert settings.is_production


def test_token_lifetimes_come_from_the_environment_and_must_be_numbers() -> None:
    settings = Settings.from_env({"JWT_ACCESS_TOKEN_EXPIRES": "60", "JWT_REFRESH_TOKEN_EXPIRES": "120"})
    assert (settings.jwt_access_token_expires, settings.jwt_refresh_token_expires) == (60, 120)
    with pytest.raises(ConfigurationError):
        Settings.from_env({"JWT_ACCESS_TOKEN_EXPIRES": "soon"})


def test_rate_limits_come_from_the_environment_and_must_be_rates() -> None:
    assert Settings.from_env({"RATE_LIMIT_DEFAULT": "50 per hour"}).rate_limit_default == "50 per hour"
    with pytest.raises(ConfigurationError, match="RATE_LIMIT_LOGIN"):
        Settings.from_env({"RATE_LIMIT_LOGIN": "ten a minute"})


def test_trusted_proxy_hops_come_from_the_environment_and_default_to_none() -> None:
    assert Settings.from_env({}).trusted_proxy_hops == 0
    assert Settings.from_env({"TRUSTED_PROXY_HOPS": "2"}).trusted_proxy_hops == 2
    with pytest.raises(ConfigurationError):
        Settings.from_env({"TRUSTED_PROXY_HOPS": "one"})
