"""io stage of the geodti pipeline."""
