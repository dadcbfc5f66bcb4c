"""A third-party search space for the plug-in tests: installed into a temporary folder and found
through its entry point (group ``naswot_db.spaces``) only."""
