"""Per feature: what a screen says and which buttons it offers, as plain data and text."""
