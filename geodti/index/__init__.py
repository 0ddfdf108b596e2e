"""index stage of the geodti pipeline."""
