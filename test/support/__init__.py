"""What the tests share: fault servers, seeds, the spec's documents, terminal and HTTP helpers."""
