from flask.testing import FlaskClient


def test_a_logged_in_user_creates_and_reads_a_customer(
    client: FlaskClient, user_headers: dict[str, str]
) -> None:
    created = client.post(
        "/v1/customers", json={"name": "Ada", "email": "ada@example.com"}, headers=user_headers
    )
    assert created.status_code == 201
    read = client.get(created.headers["Location"], headers=user_headers)
    assert read.json == created.json
