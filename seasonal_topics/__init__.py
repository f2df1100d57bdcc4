"""Built-in seasonal and town topic files (TOML), shipped as package data."""
