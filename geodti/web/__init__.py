"""web stage of the geodti pipeline."""
