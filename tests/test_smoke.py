from tests.auth.factories import auth_headers, make_account


async def test_login_and_me(client, databases):
    account = await make_account(databases)
    headers = await auth_headers(client, account)
    response = await client.get("/api/auth/me", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["email"] == account.email
