"""load: read specs/*.yaml with positions and validate them into typed, frozen models."""
