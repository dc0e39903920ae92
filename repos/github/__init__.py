"""Our GitHub provider for allauth: allauth's, with endpoints from GITHUB_URL / GITHUB_API_URL; its
callback also fetches the repository list and records the scope GitHub granted."""
