"""report stage of the geodti pipeline."""
