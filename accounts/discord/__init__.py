"""Our Discord provider for allauth: allauth's, with endpoints from DISCORD_URL and checked answers."""
