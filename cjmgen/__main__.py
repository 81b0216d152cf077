"""`python -m cjmgen` runs the CLI."""

from cjmgen.cli import main

main()
