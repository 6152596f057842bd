"""The REST API's shared parts (authentication, errors, pagination) and the task and auth endpoints."""
