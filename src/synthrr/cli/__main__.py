from synthrr.cli import main

main()
