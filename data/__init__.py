"""Default database root; ``shipped/`` holds small ground-truth tables installed with the package."""
