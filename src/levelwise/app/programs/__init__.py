"""Program files: YAML with lines, structure, sections, semantic checks, compile."""
