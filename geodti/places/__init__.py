"""places stage of the geodti pipeline."""
