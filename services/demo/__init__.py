"""Demo data: a believable county and a believable quarter of work in it."""
