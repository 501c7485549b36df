"""Read models: reports computed from the database, for any channel and the CLI."""
