"""The auth bounded context: users, roles, passwords. Tokens are issued by its routes."""
