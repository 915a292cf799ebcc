"""``python -m synthrr`` runs the command line."""

from synthrr.cli import main

main()
