"""fleet's command-line interface: thin Click commands over the library."""
