"""`python -m mdm` is the `mdm` command."""

from mdm.cli import main

main()
