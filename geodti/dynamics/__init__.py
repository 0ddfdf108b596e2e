"""dynamics stage of the geodti pipeline."""
