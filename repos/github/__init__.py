"""Our GitHub provider for allauth: allauth's, with endpoints from GITHUB_URL / GITHUB_API_URL."""
