"""Built-in message templates (Jinja2), shipped as package data."""
