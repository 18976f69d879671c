"""`python -m geoschikt` runs the command line."""

from geoschikt.cli import main

main()
