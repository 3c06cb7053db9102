"""The HTTP API: FastAPI application, dependencies, schemas and routes."""
