"""Assessment tasks: written next."""
