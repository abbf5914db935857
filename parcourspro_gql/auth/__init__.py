"""Who is calling: passwords, tokens and the Viewer."""
