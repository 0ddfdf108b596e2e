"""spatial stage of the geodti pipeline."""
