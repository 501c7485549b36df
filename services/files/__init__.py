"""File renderers and readers: xlsx, csv, png and pdf, blocking I/O kept off the event loop."""
